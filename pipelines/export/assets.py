"""The export asset: after each publish, the Uppföljning Finsam workbook of every förbund and
complete year under <data dir>/exports/uppfoljning_finsam/<förbund>/<år>.xlsx."""

import dagster as dg

from pipelines.asset_keys import EXPORT_KEY, PUBLISH_KEY
from pipelines.export.uppfoljning_finsam import export_all
from pipelines.settings import get_settings


@dg.asset(
    key=EXPORT_KEY,
    deps=[PUBLISH_KEY],
    group_name="export",
    kinds={"excel"},
    owners=["team:data"],
    description=(
        "The yearly registration figures for Uppföljning Finsam as Excel workbooks (a sheet for the "
        "förbund, one row per insats on another), one per förbund and complete year, read from "
        "marts.uppfoljning_finsam in the published bi.duckdb."
    ),
)
def uppfoljning_finsam_workbooks(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = get_settings()
    out_dir = settings.exports_dir / "uppfoljning_finsam"
    paths = export_all(settings.bi_path, out_dir)
    # one line, not one per workbook: each log line is an event in Dagster's run storage, and a
    # national refresh writes hundreds of workbooks (the list is in the metadata below)
    context.log.info(f"{len(paths)} workbooks under {out_dir}")
    return dg.MaterializeResult(
        metadata={
            "exports_dir": dg.MetadataValue.path(str(out_dir)),
            "workbooks": dg.MetadataValue.json([str(p.relative_to(out_dir)) for p in paths]),
            "dagster/row_count": dg.MetadataValue.int(len(paths)),
        }
    )
