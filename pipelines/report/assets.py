"""The report asset: after each publish, the latest complete half-year and year of every insats
(and of each förbund as a whole) as self-contained HTML under <data dir>/reports/."""

import statistics
import time

import dagster as dg

from pipelines.publish.assets import PUBLISH_KEY
from pipelines.report.data import MartReader
from pipelines.report.render import plan_latest, render_jobs
from pipelines.settings import get_settings


@dg.asset(
    key=dg.AssetKey(["report", "rapporter"]),
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
    for path, seconds in rendered:
        context.log.info(f"report: {path} ({1000 * seconds:.0f} ms)")
    per_report = [s for _, s in rendered]
    context.log.info(f"reports rendered {len(rendered)} in {wall:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "reports_dir": dg.MetadataValue.path(str(settings.reports_dir)),
            "reports": dg.MetadataValue.json([str(p.relative_to(settings.reports_dir)) for p, _ in rendered]),
            "dagster/row_count": dg.MetadataValue.int(len(rendered)),
            "seconds": dg.MetadataValue.float(round(wall, 2)),
            "ms_per_report_median": dg.MetadataValue.float(round(1000 * statistics.median(per_report), 1) if per_report else 0.0),
            "ms_per_report_max": dg.MetadataValue.float(round(1000 * max(per_report), 1) if per_report else 0.0),
        }
    )
