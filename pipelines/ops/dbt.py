"""dbt in unattended operation: row counts on the dbt assets, the dbt docs site, tidy targets.

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

Docs. `dbt docs generate --static` into `<data dir>/docs/dbt/`: `index.html` is one
self-contained file (opens from disk, no web server), beside it `manifest.json` and
`catalog.json` for tools. Built by the asset `docs/dbt_docs`, right after publish, and only
when the dbt project or the DuckDB / dbt versions changed since the docs there were made
(`dbt_project_fingerprint`, kept in `.fingerprint` beside them): the docs describe models,
columns, tests and lineage, which the nightly data does not change. Their compiled SQL shows
the as_of of the run that generated them.

Targets. dagster-dbt gives every dbt invocation its own `dbt_project/target/<asset>-<run>-<hash>/`
(~25 MB with dbt's logs) and never removes it: 9 GB a year of nightly runs. Old ones are pruned.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.settings import DBT_PROJECT_DIR, Settings, get_settings
from pipelines.transform.inputs import dbt_project_fingerprint
from pipelines.transform.project import dbt_env, dbt_vars

DOCS_KEY = dg.AssetKey(["docs", "dbt_docs"])
DOCS_FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}
DOCS_FINGERPRINT = ".fingerprint"
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


# ------------------------------------------------------------------------------------------
# Docs


def docs_dir(settings: Settings) -> Path:
    return settings.docs_dir / "dbt"


def docs_are_current(settings: Settings, fingerprint: str) -> bool:
    out = docs_dir(settings)
    try:
        recorded = (out / DOCS_FINGERPRINT).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return recorded == fingerprint and all((out / name).exists() for name in DOCS_FILES.values())


def generate_dbt_docs(settings: Settings, fingerprint: str | None = None) -> Path:
    """`dbt docs generate --static` for this warehouse; returns `<data dir>/docs/dbt/index.html`.
    With a fingerprint, records it beside the docs (after them, so a crash leaves none)."""
    work = settings.docs_dir / ".dbt_target"  # kept between runs: dbt's partial parsing
    work.mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "docs", "generate", "--static",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work), "--log-path", str(work), "--vars", dbt_vars(settings),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **dbt_env(settings)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"dbt docs generate failed (exit {done.returncode}):\n{tail}")
    out = docs_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    for source, name in DOCS_FILES.items():
        tmp = out / f".{name}.tmp"
        shutil.copyfile(work / source, tmp)
        os.replace(tmp, out / name)  # a reader never sees half a file
    if fingerprint is not None:
        (out / DOCS_FINGERPRINT).write_text(fingerprint, encoding="utf-8")
    return out / "index.html"


def build_dbt_docs_asset(deps: Sequence[dg.AssetKey] | None = None) -> dg.AssetsDefinition:
    """After publish by default: generating the docs takes a while and BI users should not wait for them."""
    from pipelines.publish.assets import PUBLISH_KEY

    @dg.asset(
        key=DOCS_KEY,
        deps=list(deps) if deps is not None else [PUBLISH_KEY],
        group_name="docs",
        kinds={"dbt", "html"},
        owners=["team:data"],
        pool="warehouse_writer",
        retry_policy=WAREHOUSE_RETRY_POLICY,
        required_resource_keys={"refresh_lock"},
        description=(
            "dbt docs for this warehouse (every model, column, test and the lineage), as one "
            "self-contained page: <data dir>/docs/dbt/index.html, with manifest.json and catalog.json."
        ),
    )
    def dbt_docs(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = get_settings()
        started = time.monotonic()
        fingerprint = dbt_project_fingerprint()
        regenerated = settings.force_rebuild or not docs_are_current(settings, fingerprint)
        if regenerated:
            with retry_only_transient():
                index = generate_dbt_docs(settings, fingerprint)
            context.log.info(f"dbt docs written to {index}")
        else:
            index = docs_dir(settings) / "index.html"
            context.log.info(f"dbt docs kept: the dbt project is unchanged since {index} was generated")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(index)),
                "url": dg.MetadataValue.url(index.as_uri()),
                "size_bytes": index.stat().st_size,
                "regenerated": regenerated,
                "seconds": round(time.monotonic() - started, 1),
            }
        )

    return dbt_docs


def probe_warehouse(warehouse_path: Path) -> None:
    """Open the warehouse for writing and close it again, before dbt starts.

    dbt reports a DuckDB lock conflict as a crash with a traceback, which is hard to tell from
    any other dbt failure; probing first turns it into a plain DuckDB lock error, which the
    retry policy retries (pipelines/ops/retry.py)."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(warehouse_path)).close()
