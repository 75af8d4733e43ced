"""The report asset: after each publish, the latest complete half-year and year of every insats
(and of each förbund as a whole) as self-contained HTML under <data dir>/reports/.

After a night most reports would come out with the same figures: publish records which rows
differ from the publish before (pipelines/publish_record.py). When the reports on disk are those
of that earlier publish (`.rendered.json` says which build they come from), only the reports
those rows can show in are rendered again; the others keep their file, and its "Datum för
data" tells from which data date they are. Anything else renders every report.
"""

import datetime as dt
import json
import math
import statistics
import time
from pathlib import Path

import dagster as dg

from pipelines.asset_keys import PUBLISH_KEY, REPORT_KEY
from pipelines.atomic_file import write_text_atomic
from pipelines.publish_record import last_published
from pipelines.report.data import MartReader, comparison_period_id
from pipelines.report.render import Job, plan_latest, render_jobs, report_path, touched_by
from pipelines.settings import get_settings

RENDERED_STATE = ".rendered.json"


def _rendered_build(reports_dir: Path) -> int | None:
    try:
        return json.loads((reports_dir / RENDERED_STATE).read_text(encoding="utf-8")).get("build_id")
    except (OSError, ValueError):
        return None


def _record_rendered(reports_dir: Path, build_id: int | None) -> None:
    write_text_atomic(reports_dir / RENDERED_STATE, json.dumps({"build_id": build_id}))


def jobs_to_render(reader: MartReader, jobs: list[Job], reports_dir: Path, record: dict) -> list[Job]:
    """The jobs whose report may differ from the file on disk (see the module docstring)."""
    changed = record.get("changed")
    if (
        not changed
        or changed.get("since_build_id") is None
        or _rendered_build(reports_dir) != changed["since_build_id"]
    ):
        return jobs
    changes = [
        (mart, f, dt.date.fromisoformat(s) if s else None, dt.date.fromisoformat(e) if e else None)
        for mart, f, s, e in changed["rows"]
    ]
    out = []
    for job in jobs:
        path = report_path(reports_dir, job.forbund, job.insats_id, job.period.period_id)
        comparison = reader.period(comparison_period_id(job.period.period_id), job.period.period_typ)
        if not path.exists() or touched_by(job, changes, comparison):
            out.append(job)
    return out


@dg.asset(
    key=REPORT_KEY,
    deps=[PUBLISH_KEY],
    group_name="report",
    kinds={"html"},
    owners=["team:data"],
    description=(
        "Half-year and annual reports in Swedish (HTML with embedded charts), drawn only from the "
        "published marts in bi.duckdb: the latest complete halvår and år per insats and per förbund."
    ),
)
def rapporter(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = get_settings()
    t0 = time.perf_counter()
    record = last_published(settings) or {}
    with MartReader.open(settings.bi_path) as reader:
        planned = plan_latest(reader)
        jobs = jobs_to_render(reader, planned, settings.reports_dir, record)
    rendered = render_jobs(settings.bi_path, settings.reports_dir, settings.suppression_threshold, jobs)
    _record_rendered(settings.reports_dir, record.get("build_id"))
    wall = time.perf_counter() - t0
    # one log line, not one per report: each is an event in the run's event log, and a
    # national refresh writes about 1 900 reports; the paths and times are in the metadata
    ms = {str(p.relative_to(settings.reports_dir)): round(1000 * s, 1) for p, s in rendered}
    times = sorted(ms.values())
    summary = ""
    if times:
        slowest = max(ms, key=ms.__getitem__)
        summary = (
            f" (per report median {statistics.median(times):.0f} ms, p95 {times[math.ceil(0.95 * len(times)) - 1]:.0f} ms, "
            f"max {times[-1]:.0f} ms: {slowest})"
        )
    kept = len(planned) - len(jobs)
    kept_note = f"; {kept} kept: nothing they show changed since the previous publish" if kept else ""
    context.log.info(f"reports rendered {len(rendered)} in {wall:.1f} s{summary}{kept_note}")
    return dg.MaterializeResult(
        metadata={
            "reports_dir": dg.MetadataValue.path(str(settings.reports_dir)),
            "reports": dg.MetadataValue.json(list(ms)),
            "ms_per_report": dg.MetadataValue.json(ms),
            "dagster/row_count": dg.MetadataValue.int(len(rendered)),
            "seconds": dg.MetadataValue.float(round(wall, 2)),
        }
    )
