"""One Dagster asset per source kind: landing files of that kind → raw.<kind>.

The register of insatser is ingested first, because every other kind checks its Insats-IDs
against it. A bad file never fails the asset: it is quarantined, listed in the asset's
metadata, and the good files still load (exit code 2 from `finsam refresh`).
"""

import datetime as dt

import dagster as dg
import duckdb

from pipelines.ingest import ingest_kind, load_specs, registered_insats_ids
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.settings import get_settings

REGISTER_KIND = "insatser"


def raw_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", kind])


def _build(kind: str, description: str) -> dg.AssetsDefinition:
    deps = [] if kind == REGISTER_KIND else [raw_key(REGISTER_KIND)]

    @dg.asset(
        key=raw_key(kind),
        deps=deps,
        group_name="ingest",
        description=description,
        kinds={"python", "duckdb"},
        pool="warehouse_writer",
        owners=["team:data"],
        retry_policy=WAREHOUSE_RETRY_POLICY,  # lock conflicts only; other errors would recur (pipelines/ops/retry.py)
        required_resource_keys={"refresh_lock"},  # <data dir>/refresh.lock: one refresh, one writer
    )
    def _ingest(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with retry_only_transient(), duckdb.connect(str(settings.warehouse_path)) as con:
            registered = None if kind == REGISTER_KIND else registered_insats_ids(con)
            report = ingest_kind(
                con,
                kind,
                landing_dir=settings.landing_dir,
                quarantine_dir=settings.quarantine_dir,
                key=settings.pseudonym_key,
                refresh_day=dt.date.today(),  # the future-date rule uses the real day, never as_of
                registered_insats_ids=registered,
            )
            total_rows = con.sql(f"select count(*) from raw.{kind}").fetchone()[0]
        for q in report.quarantined:
            context.log.warning(f"{kind}: quarantined {q.file_name}: {q.reason}")
        for f in report.loaded:
            context.log.info(f"{kind}: loaded {f.file_name} ({f.rows} rows)")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(total_rows),
                "files_loaded": [f.file_name for f in report.loaded],
                "rows_loaded": sum(f.rows for f in report.loaded),
                "files_unchanged": len(report.skipped),
                "files_quarantined": dg.MetadataValue.json(
                    [{"file": q.file_name, "reason": q.reason} for q in report.quarantined]
                ),
            }
        )

    return _ingest


ingest_assets = [_build(kind, spec.description) for kind, spec in load_specs().items()]
