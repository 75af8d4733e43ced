"""One Dagster asset per source kind: landing files of that kind → raw.<kind>.

The register of insatser is ingested first, because every other kind checks its Insats-IDs
against it. A bad file never fails the asset: it is quarantined, listed in the asset's
metadata, and the good files still load (exit code 2 from `finsam refresh`).

Each asset carries `dagster/column_schema` from its source spec (pipelines/sources/*.yml):
the columns of raw.<kind>, the lineage columns included, with types and descriptions.
"""

import datetime as dt

import dagster as dg
import duckdb

from pipelines.asset_keys import raw_key
from pipelines.ingest import ingest_kind, load_specs, registered_insats_ids
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.settings import get_settings

REGISTER_KIND = "insatser"

META_DESCRIPTIONS = {
    "_row_number": "Row number in the source file (data rows, from 1).",
    "_source_file": "Name of the landing file the row came from.",
    "_sha256": "SHA-256 of the source file: its identity in the file ledger (raw._file_ledger).",
    "_loaded_at": "When the file was loaded.",
    "_file_date": "The date in the file name (newness rule 1).",
    "_exported_at": "The export's own time stamp, e.g. SUS 'Exekvering:' (newness rule 2).",
    "_file_mtime": "The file's modification time (newness rule 3).",
    "_period_month": "The month the row belongs to (replacement per month).",
}


def raw_column_schema(kind: str) -> dg.TableSchema | None:
    spec = load_specs().get(kind)
    if spec is None:
        return None
    described: dict[str, str | None] = {}
    for col in spec.columns:
        names = [n for n, _ in col.raw_columns()]
        if col.type == "personnummer":
            base = col.description or col.header
            described[names[0]] = f"HMAC-SHA256 pseudonym of the personnummer ({base}); never the personnummer itself."
            described[names[1]] = f"Birth date derived from the personnummer ({base})."
            described[names[2]] = f"Sex derived from the personnummer ({base})."
        else:
            described[names[0]] = col.description or f"Export column '{col.header}'."
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=type_, description=described.get(name) or META_DESCRIPTIONS.get(name))
            for name, type_ in spec.raw_schema()
        ]
    )


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
        # the raw table's exact columns, types and descriptions, shown in the UI
        metadata={"dagster/column_schema": raw_column_schema(kind)},
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
