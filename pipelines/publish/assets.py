"""The publish asset: runs only after every mart (and its blocking checks) succeeded."""


from collections.abc import Sequence

import dagster as dg

from pipelines.publish.bi import publish
from pipelines.settings import get_settings

PUBLISH_KEY = dg.AssetKey(["publish", "bi_duckdb"])


def build_publish_asset(mart_keys: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=list(mart_keys),
        group_name="publish",
        kinds={"duckdb", "parquet"},
        owners=["team:data"],
        description=(
            "bi.duckdb (schema marts only) and Parquet copies under bi/, swapped in atomically "
            "after everything upstream succeeded; BI tools read these, never warehouse.duckdb."
        ),
    )
    def bi_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = get_settings()
        result = publish(settings.warehouse_path, settings.bi_path, settings.bi_parquet_dir)
        for name, rows in result.tables.items():
            context.log.info(f"published marts.{name}: {rows} rows")
        return dg.MaterializeResult(
            metadata={
                "bi_path": dg.MetadataValue.path(str(result.bi_path)),
                "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
                "tables": dg.MetadataValue.json(result.tables),
                "dagster/row_count": dg.MetadataValue.int(sum(result.tables.values())),
            }
        )

    return bi_duckdb
