"""Around `dbt build` in unattended operation: row counts on the dbt assets, tidy targets, a lock probe.

Row counts. dagster-dbt's `fetch_row_counts()` works with DuckDB, but for DuckDB it holds back
every event until dbt exits (dbt keeps warehouse.duckdb open until then), and Dagster then
stores the ~1 200 events of a build one after the other instead of while dbt works: measured
here, a dbt step of 104 s became 198 s (the same holds for counting after dbt and replaying the
held-back events). So dbt's events pass through as they come, and when dbt has exited one
read-only DuckDB connection counts every table and seed it built (well under a second) and
the step adds an AssetObservation with `dagster/row_count` per asset. The UI shows it as the
asset's "Row count" (taken from the latest materialization, else the latest observation).
Views get no count, as in dagster-dbt: counting a view runs its query. Column schemas need
nothing here: dagster-dbt puts `dagster/column_schema` (names, types and descriptions from the
model YAML) on every model's definition.

Targets. dagster-dbt gives every dbt invocation its own `dbt_project/target/<asset>-<run>-<hash>/`
(~25 MB with dbt's logs) and never removes it: 9 GB a year of nightly runs. Old ones are pruned.

Lock probe. `probe_warehouse` turns a DuckDB lock conflict into an error the retry policy
retries, before dbt starts.
"""

import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines.settings import DBT_PROJECT_DIR

_RUN_TARGET = re.compile(r"^.+-[0-9a-f]{7}-[0-9a-f]{7}$")
_COUNTED = {"table", "incremental", "seed", "snapshot"}


# ------------------------------------------------------------------------------------------
# Row counts


def _unique_id(event: Any) -> str | None:
    value = event.metadata.get("unique_id") if hasattr(event, "metadata") else None
    return getattr(value, "text", None) or getattr(value, "value", None)


def count_rows(warehouse_path: Path, manifest: Mapping[str, Any], unique_ids: Iterable[str]) -> dict[str, int]:
    """Rows of every table/seed among `unique_ids`, in one read-only connection."""
    nodes = manifest.get("nodes", {})
    wanted = {
        uid: nodes[uid]["relation_name"]
        for uid in unique_ids
        if uid in nodes
        and nodes[uid].get("relation_name")
        and nodes[uid].get("config", {}).get("materialized") in _COUNTED
    }
    if not wanted or not warehouse_path.exists():
        return {}
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        for uid, relation in wanted.items():
            try:
                counts[uid] = con.execute(f"select count(*) from {relation}").fetchone()[0]
            except duckdb.Error:
                continue  # a model that failed to build has no table to count
    return counts


def with_row_counts(
    invocation: Any, warehouse_path: Path, key_for_output: Callable[[str], dg.AssetKey]
) -> Iterator[Any]:
    """dbt's events as they come, then one AssetObservation with `dagster/row_count` per table
    and seed built, once dbt has exited (also when it failed: the counts, then the error)."""
    built: dict[str, dg.AssetKey] = {}
    error: dg.Failure | None = None
    try:
        for event in invocation.stream():
            uid = _unique_id(event)
            if uid and isinstance(event, dg.Output):
                built[uid] = key_for_output(event.output_name)
            elif uid and isinstance(event, dg.AssetMaterialization):
                built[uid] = event.asset_key
            yield event
    except dg.Failure as exc:  # dbt exited non-zero: still count what it did build
        error = exc
    for uid, rows in count_rows(warehouse_path, invocation.manifest, built).items():
        yield dg.AssetObservation(asset_key=built[uid], metadata={"dagster/row_count": dg.MetadataValue.int(rows)})
    if error is not None:
        raise error


# ------------------------------------------------------------------------------------------
# Target directories


def prune_run_targets(
    target_dir: Path = DBT_PROJECT_DIR / "target", keep: int = 3, min_age_hours: float = 6.0
) -> list[Path]:
    """Remove dagster-dbt's per-invocation target dirs but the newest `keep` and any younger
    than `min_age_hours` (they may belong to a dbt run still going in another process)."""
    if not target_dir.is_dir():
        return []
    runs = sorted(
        (p for p in target_dir.iterdir() if p.is_dir() and _RUN_TARGET.match(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    cutoff = time.time() - min_age_hours * 3600
    removed = []
    for p in runs[keep:]:
        if p.stat().st_mtime < cutoff:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def probe_warehouse(warehouse_path: Path) -> None:
    """Open the warehouse for writing and close it again, before dbt starts.

    dbt reports a DuckDB lock conflict as a crash with a traceback, which is hard to tell from
    any other dbt failure; probing first turns it into a plain DuckDB lock error, which the
    retry policy retries (pipelines/ops/retry.py)."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(warehouse_path)).close()


PARTIAL_PARSE = "partial_parse.msgpack"


def keep_partial_parse(run_target: Path, target_dir: Path = DBT_PROJECT_DIR / "target") -> None:
    """After a dbt run: its partial-parse state becomes the one the next run starts from.

    dagster-dbt gives each run a target dir of its own and copies `target/partial_parse.msgpack`
    into it; that file comes from `dbt parse` (ensure_manifest), made for whatever warehouse
    path was set then, and dbt parses the whole project again when the path differs. Kept from
    the last run, it holds for the next night's run on the same warehouse."""
    state = Path(run_target) / PARTIAL_PARSE
    if state.is_file():
        tmp = target_dir / f".{PARTIAL_PARSE}.{os.getpid()}.tmp"  # two refreshes may finish at once
        shutil.copyfile(state, tmp)
        tmp.replace(target_dir / PARTIAL_PARSE)
