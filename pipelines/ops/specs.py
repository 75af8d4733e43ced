"""What every asset shows in the UI besides its data: owner, freshness policy, column schema.

Applied once, over all asset definitions, in pipelines/definitions.py (`apply_ops_specs`):
- owner `team:data` on every asset that has none (the dbt assets);
- a freshness policy on every mart and on `publish/bi_duckdb`: stale (FAIL) when the last
  materialisation is older than 26 hours, i.e. when one nightly refresh (04:30) was missed,
  with two hours of slack for a slow or retried run. The daemon evaluates it (`freshness` is on
  by default in the instance) and the UI shows it on each asset;
- `dagster/column_schema` on the raw assets, from the source specs (pipelines/sources/*.yml):
  the raw table's exact columns with their types and descriptions. The dbt assets get theirs
  from the model YAML through dagster-dbt.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

OWNERS = ["team:data"]
MART_LAYER = "marts"
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26))
FRESH_KEYS = {dg.AssetKey(["publish", "bi_duckdb"])}

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
    from pipelines.ingest import load_specs

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


def with_ops_attributes(spec: dg.AssetSpec) -> dg.AssetSpec:
    if not spec.owners:
        spec = spec.replace_attributes(owners=OWNERS)
    if (spec.key.path[0] == MART_LAYER or spec.key in FRESH_KEYS) and spec.freshness_policy is None:
        spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
    if spec.key.path[0] == "raw" and "dagster/column_schema" not in spec.metadata:
        schema = raw_column_schema(spec.key.path[-1])
        if schema is not None:
            spec = spec.merge_attributes(metadata={"dagster/column_schema": schema})
    return spec


def apply_ops_specs(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    return list(dg.map_asset_specs(with_ops_attributes, assets))
