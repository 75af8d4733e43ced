"""Publish the marts to BI: `bi.duckdb` (schema `marts` only) and Parquet copies under `bi/`.

Both are built under temporary names and swapped in by rename only when complete:
- `bi.duckdb.tmp` is written, checkpointed, closed, then `os.replace`d onto `bi.duckdb`;
  readers that already hold the old file keep reading the old inode (docs/architecture.md).
- Parquet files go to a new version folder `bi_versions/<stamp>/`; `bi` is a symlink that is
  repointed atomically (a new symlink renamed over the old one). The previous version is kept
  for readers in the middle of a read; older ones are removed.
A crash at any point leaves the previous publish whole; leftovers are cleaned on the next publish.

After a nightly build (pipelines/nightly_scope.py) most rows of the big marts are the ones
already published. Then `bi.duckdb.tmp` starts as a byte copy of the published `bi.duckdb`, and
of each mart the night rebuilt in part the rows in scope (of changed förbund and of periods open
since the published build) are compared with the published ones and replaced only when they
differ; the other marts are compared whole and copied only when they differ. A mart that did not
change at all keeps its Parquet file too: the new version folder gets a hard link to the
previous version's file (same bytes, and nothing to write). A full build publishes everything
anew, which also gives back the space deleted rows left.

The Parquet link `.bi.link.<stamp>` is made before `bi.duckdb` is swapped and renamed onto `bi`
after it, so a publish that stopped between the two swaps leaves that link behind. The next
publish then does not trust the Parquet version to hold what `bi.duckdb` holds, and writes every
file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.nightly_scope import Scope, ScopedMart, latest_build_id, rows_changed

MARTS_SCHEMA = "marts"
TMP_SUFFIX = ".tmp"
VERSIONS_DIR = "bi_versions"


@dataclass(frozen=True)
class PublishResult:
    bi_path: Path
    parquet_dir: Path
    tables: dict[str, int]  # mart name -> rows
    build_id: int | None  # the warehouse build published (pipeline_state.builds), None before the first
    replaced_in_part: list[str]  # marts of which only the changed rows were replaced
    kept: list[str] = field(default_factory=list)  # marts equal to the previous publish, Parquet linked
    # After a night: what differs from the previous publish, as (mart, forbund, period_start,
    # period_slut) with None for "any" (a mart without the column); None: everything may have.
    changed: list[tuple[str, str | None, dt.date | None, dt.date | None]] | None = None


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def _clean_leftovers(data_dir: Path, bi_path: Path) -> bool:
    """Remove what a stopped publish left; True when it left a Parquet link, that is when it may
    have stopped between swapping bi.duckdb and the Parquet link (see the module docstring)."""
    for leftover in (
        bi_path.with_name(bi_path.name + TMP_SUFFIX),
        bi_path.with_name(bi_path.name + TMP_SUFFIX + ".wal"),
    ):
        leftover.unlink(missing_ok=True)
    links = [link for link in data_dir.glob(".bi.link*") if link.is_symlink()]
    for link in links:
        link.unlink(missing_ok=True)
    return bool(links)


def prune_versions(versions: Path, keep: set[Path]) -> None:
    """Remove every version but the new one and the one readers may still be reading."""
    for p in versions.iterdir():
        if p.resolve() not in keep:
            shutil.rmtree(p, ignore_errors=True)


CHANGE_COLUMNS = ("forbund", "period_start", "period_slut")
# Not compared: the data date every dim_period row carries. It moves every night; a report whose
# figures did not change keeps its file and the data date it was made from. A mart with such a
# column is still copied and written anew every time (it is small).
NOT_COMPARED = ("as_of",)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [d[0] for d in con.sql(f"select * from {relation} limit 0").description]


def _differences(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    old_sql: str,
    new_sql: str,
    columns: list[str],
    params: list | None = None,
) -> set[tuple]:
    """(mart, forbund, period_start, period_slut) of every row in one of the two selects and not
    the other (as EXCEPT ALL both ways, every column); a column the mart lacks is None."""
    picked = ", ".join([f"'{mart}' as mart"] + [c if c in columns else f"null as {c}" for c in CHANGE_COLUMNS])
    compared = ", ".join(f'"{c}"' for c in columns if c not in NOT_COMPARED)
    # One pass: every distinct row with how many more times the old side holds it than the new
    # side; a row whose count differs is in one side's EXCEPT ALL. A single hash aggregate reads
    # each side once and builds one hash table, where EXCEPT ALL both ways builds two.
    found = con.execute(
        f"select distinct {picked} from ("
        f"select {compared}, sum(side) as surplus from ("
        f"select {compared}, 1 as side from ({old_sql}) union all select {compared}, -1 as side from ({new_sql})"
        f") group by all having sum(side) <> 0)",
        (params or []) * 2,
    ).fetchall()
    return set(found)


def publish(
    warehouse_path: Path,
    bi_path: Path,
    parquet_link: Path,
    changes: Scope | None = None,
    scoped: dict[str, ScopedMart] | None = None,
) -> PublishResult:
    """Publish the warehouse's marts. `changes`: what changed since the build in `bi_path` (None or
    full: publish everything anew); `scoped`: the marts a night rebuilds in part."""
    data_dir = bi_path.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    stopped_between_swaps = _clean_leftovers(data_dir, bi_path)
    tmp_bi = bi_path.with_name(bi_path.name + TMP_SUFFIX)
    versions = data_dir / VERSIONS_DIR
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    version_dir = versions / stamp
    version_dir.mkdir(parents=True)
    in_part = changes is not None and not changes.full and bi_path.exists()
    if in_part:
        shutil.copyfile(bi_path, tmp_bi)  # yesterday's marts; the night's changes follow
    # the Parquet files of the publish in bi.duckdb, which an unchanged mart links to
    previous = parquet_link.resolve() if parquet_link.is_symlink() else None
    linkable = previous if in_part and previous is not None and not stopped_between_swaps else None

    tables: dict[str, int] = {}
    replaced_in_part: list[str] = []
    kept: list[str] = []
    con = duckdb.connect(str(tmp_bi))
    try:
        # Marts have no row order (readers say ORDER BY): copying without keeping one lets DuckDB
        # write in parallel, both the DuckDB copy and the Parquet files.
        con.execute("set preserve_insertion_order = false")
        con.execute(f"attach '{warehouse_path}' as wh (read_only)")
        con.execute(f"create schema if not exists {MARTS_SCHEMA}")
        published = set(mart_tables(con, con.execute("select current_database()").fetchone()[0])) if in_part else set()
        names = mart_tables(con, "wh")
        for name in published - set(names):
            con.execute(f"drop table {MARTS_SCHEMA}.{name}")
        changed: set[tuple] | None = set() if in_part else None
        for name in names:
            mart = (scoped or {}).get(name)
            old, new = f"{MARTS_SCHEMA}.{name}", f"wh.{MARTS_SCHEMA}.{name}"
            columns = _columns(con, new)
            # a column left out of the comparison may differ: such a mart is always copied
            compared_whole = not any(c in columns for c in NOT_COMPARED)
            if in_part and mart is not None and name in published:
                # the rows outside the scope are the published ones (pipelines/nightly_scope.py)
                where, params = rows_changed(changes, mart)
                found = _differences(
                    con,
                    name,
                    f"select * from {old} where {where}",
                    f"select * from {new} where {where}",
                    columns,
                    params,
                )
                same = not found and compared_whole
                if not same:
                    con.execute("begin")
                    con.execute(f"delete from {old} where {where}", params)
                    con.execute(f"insert into {old} select * from {new} where {where}", params)
                    con.execute("commit")
                    replaced_in_part.append(name)
            else:
                found = set()
                if changed is not None:
                    same_shape = name in published and _columns(con, old) == columns
                    found = (
                        _differences(con, name, f"select * from {old}", f"select * from {new}", columns)
                        if same_shape
                        else {(name, None, None, None)}
                    )
                same = in_part and not found and compared_whole
                if not same:
                    con.execute(f"create or replace table {old} as select * from {new}")
            if changed is not None:
                changed |= found
            tables[name] = con.execute(f"select count(*) from {MARTS_SCHEMA}.{name}").fetchone()[0]
            parquet = version_dir / f"{name}.parquet"
            if same and linkable is not None and (linkable / parquet.name).is_file():
                os.link(linkable / parquet.name, parquet)  # the very rows the previous publish wrote
                kept.append(name)
            else:
                con.execute(f"copy {MARTS_SCHEMA}.{name} to '{parquet}' (format parquet)")
        build_id = latest_build_id(con, "wh")
        con.execute("detach wh")
        con.execute("checkpoint")
    finally:
        con.close()

    # Swap in: the DuckDB file, then the Parquet symlink, each with one rename. The new link is
    # made first, so that a stop between the two renames leaves it behind (see the docstring).
    new_link = data_dir / f".bi.link.{stamp}"
    new_link.symlink_to(Path(VERSIONS_DIR) / stamp, target_is_directory=True)
    os.replace(tmp_bi, bi_path)
    if parquet_link.exists() and not parquet_link.is_symlink():
        shutil.rmtree(parquet_link)
    os.replace(new_link, parquet_link)
    prune_versions(versions, {version_dir.resolve(), previous})
    return PublishResult(
        bi_path=bi_path,
        parquet_dir=parquet_link,
        tables=tables,
        build_id=build_id,
        replaced_in_part=replaced_in_part,
        kept=kept,
        changed=None if changed is None else sorted(changed, key=str),
    )
