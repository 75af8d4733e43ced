"""The report asset: after each publish, the latest complete half-year and year of every insats
(and of each förbund as a whole) as self-contained HTML under <data dir>/reports/."""

import math
import statistics
import time

import dagster as dg

from pipelines.asset_keys import PUBLISH_KEY, REPORT_KEY
from pipelines.report.data import MartReader
from pipelines.report.render import plan_latest, render_jobs
from pipelines.settings import get_settings


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
    with MartReader.open(settings.bi_path) as reader:
        jobs = plan_latest(reader)
    rendered = render_jobs(settings.bi_path, settings.reports_dir, settings.suppression_threshold, jobs)
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
    context.log.info(f"reports rendered {len(rendered)} in {wall:.1f} s{summary}")
    return dg.MaterializeResult(
        metadata={
            "reports_dir": dg.MetadataValue.path(str(settings.reports_dir)),
            "reports": dg.MetadataValue.json(list(ms)),
            "ms_per_report": dg.MetadataValue.json(ms),
            "dagster/row_count": dg.MetadataValue.int(len(rendered)),
            "seconds": dg.MetadataValue.float(round(wall, 2)),
        }
    )
