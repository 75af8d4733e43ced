"""The report asset: after each publish, the latest complete half-year and year of every insats
(and of each förbund as a whole) as self-contained HTML under <data dir>/reports/."""

import dagster as dg

from pipelines.publish.assets import PUBLISH_KEY
from pipelines.report.render import render_latest
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
    paths = render_latest(settings.bi_path, settings.reports_dir, settings.suppression_threshold)
    for p in paths:
        context.log.info(f"report: {p}")
    return dg.MaterializeResult(
        metadata={
            "reports_dir": dg.MetadataValue.path(str(settings.reports_dir)),
            "reports": dg.MetadataValue.json([str(p.relative_to(settings.reports_dir)) for p in paths]),
            "dagster/row_count": dg.MetadataValue.int(len(paths)),
        }
    )
