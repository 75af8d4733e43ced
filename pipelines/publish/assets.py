"""The publish asset: runs only after every mart (and its blocking checks) succeeded."""

import datetime as dt
from collections.abc import Sequence

import dagster as dg
import duckdb

from pipelines.asset_keys import POSTGRES_KEY, PUBLISH_KEY
from pipelines.dbt_project import dbt_project
from pipelines.fingerprint import inputs_fingerprint
from pipelines.nightly_scope import changes_since, scoped_marts
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.publish.bi import publish
from pipelines.publish_record import last_published, record_postgres_published, record_published
from pipelines.settings import get_settings


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
            # what changed since the build bi.duckdb holds (pipelines/nightly_scope.py)
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
                previous_build = (last_published(settings) or {}).get("build_id")
                changes = changes_since(con, previous_build)
            scoped = scoped_marts(dbt_project.manifest_path)
            result = publish(settings.warehouse_path, settings.bi_path, settings.bi_parquet_dir, changes, scoped)
        published_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        record_published(
            settings,
            fingerprint,
            published_at,
            build_id=result.build_id,
            changed=None if result.changed is None else {"since_build_id": previous_build, "rows": result.changed},
        )
        if result.replaced_in_part:
            context.log.info(f"changed rows replaced in {', '.join(result.replaced_in_part)} ({changes.describe()})")
        if result.kept:
            context.log.info(f"unchanged since the previous publish, Parquet file kept: {', '.join(result.kept)}")
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


@dg.asset(
    key=POSTGRES_KEY,
    deps=[PUBLISH_KEY],
    group_name="publish",
    kinds={"postgres"},
    owners=["team:data"],
    output_required=False,  # nothing to do, and no materialisation, without FINSAM_POSTGRES_URL
    # Retries only a DuckDB lock conflict on bi.duckdb, as every publishing step; a PostgreSQL
    # error fails at once with its reason (the next refresh publishes again).
    retry_policy=WAREHOUSE_RETRY_POLICY,
    required_resource_keys={"refresh_lock"},  # ops: also when materialised alone from the UI
    description=(
        "Schema marts in the PostgreSQL database of FINSAM_POSTGRES_URL (when set): the tables of "
        "bi.duckdb, swapped in whole, with a role per förbund and row-level security (docs/postgresql.md)."
    ),
)
def postgres_marts(context: dg.AssetExecutionContext):
    # After bi.duckdb: it loads from the file just published, so PostgreSQL gets the very same
    # rows, and a PostgreSQL that is down or refuses the load fails only this step. bi.duckdb,
    # its Parquet copies and the reports are published as without PostgreSQL; the run fails
    # (exit 1, the reason in the summary) and PostgreSQL keeps yesterday's marts.
    from pipelines.publish.postgres import publish_postgres

    settings = get_settings()
    if not settings.postgres_url:
        context.log.info("FINSAM_POSTGRES_URL is not set: marts are published to bi.duckdb only")
        return
    with retry_only_transient():
        result = publish_postgres(settings.bi_path, settings.postgres_url)
    record = last_published(settings)
    if record is not None:
        record_postgres_published(settings, result.target, record["fingerprint"])
    context.log.info(
        f"PostgreSQL {result.target}: schema marts replaced ({sum(result.tables.values())} rows in "
        f"{len(result.tables)} tables, load {result.load_s} s, swap {result.swap_s} s)"
    )
    for role in result.created_roles:
        context.log.info(f"created role {role}")
    yield dg.MaterializeResult(
        metadata={
            "target": dg.MetadataValue.text(result.target),
            "tables": dg.MetadataValue.json(result.tables),
            "roles": dg.MetadataValue.json(sorted(result.roles.values())),
            "load_s": dg.MetadataValue.float(result.load_s),
            "swap_s": dg.MetadataValue.float(result.swap_s),
            "dagster/row_count": dg.MetadataValue.int(sum(result.tables.values())),
        }
    )
