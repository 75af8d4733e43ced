"""The publish asset: runs only after every mart (and its blocking checks) succeeded."""


import datetime as dt
from collections.abc import Sequence

import dagster as dg

from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.publish.bi import publish
from pipelines.settings import get_settings
from pipelines.transform.inputs import inputs_fingerprint, record_published

PUBLISH_KEY = dg.AssetKey(["publish", "bi_duckdb"])


def build_publish_asset(mart_keys: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=list(mart_keys),
        group_name="publish",
        kinds={"duckdb", "parquet"},
        owners=["team:data"],
        retry_policy=WAREHOUSE_RETRY_POLICY,  # lock conflicts only; other errors would recur (pipelines/ops/retry.py)
        required_resource_keys={"refresh_lock"},  # <data dir>/refresh.lock: one refresh, one writer
        description=(
            "bi.duckdb (schema marts only) and Parquet copies under bi/, swapped in atomically "
            "after everything upstream succeeded; BI tools read these, never warehouse.duckdb."
        ),
    )
    def bi_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = get_settings()
        fingerprint = inputs_fingerprint(settings)  # before: a file added meanwhile is not in it
        with retry_only_transient():
            result = publish(settings.warehouse_path, settings.bi_path, settings.bi_parquet_dir)
        record_published(settings, fingerprint, dt.datetime.now().astimezone().isoformat(timespec="seconds"))
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
