"""Publish the marts to BI: `bi.duckdb` (schema `marts` only) and Parquet copies under `bi/`.

Both are built under temporary names and swapped in by rename only when complete:
- `bi.duckdb.tmp` is written, checkpointed, closed, then `os.replace`d onto `bi.duckdb`;
  readers that already hold the old file keep reading the old inode (docs/architecture.md).
- Parquet files go to a new version folder `bi_versions/<stamp>/`; `bi` is a symlink that is
  repointed atomically (a new symlink renamed over the old one). The previous version is kept
  for readers in the middle of a read; older ones are removed.
A crash at any point leaves the previous publish whole; leftovers are cleaned on the next publish.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"
TMP_SUFFIX = ".tmp"
VERSIONS_DIR = "bi_versions"


@dataclass(frozen=True)
class PublishResult:
    bi_path: Path
    parquet_dir: Path
    tables: dict[str, int]  # mart name -> rows


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def _clean_leftovers(data_dir: Path, bi_path: Path) -> None:
    for leftover in (
        bi_path.with_name(bi_path.name + TMP_SUFFIX),
        bi_path.with_name(bi_path.name + TMP_SUFFIX + ".wal"),
    ):
        leftover.unlink(missing_ok=True)
    for link in data_dir.glob(".bi.link*"):
        link.unlink(missing_ok=True)


def prune_versions(versions: Path, keep: set[Path]) -> None:
    """Remove every version but the new one and the one readers may still be reading."""
    for p in versions.iterdir():
        if p.resolve() not in keep:
            shutil.rmtree(p, ignore_errors=True)


def publish(warehouse_path: Path, bi_path: Path, parquet_link: Path) -> PublishResult:
    data_dir = bi_path.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(data_dir, bi_path)
    tmp_bi = bi_path.with_name(bi_path.name + TMP_SUFFIX)
    versions = data_dir / VERSIONS_DIR
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    version_dir = versions / stamp
    version_dir.mkdir(parents=True)

    tables: dict[str, int] = {}
    con = duckdb.connect(str(tmp_bi))
    try:
        # Marts have no row order (readers say ORDER BY): copying without keeping one lets DuckDB
        # write in parallel, both the DuckDB copy and the Parquet files.
        con.execute("set preserve_insertion_order = false")
        con.execute(f"attach '{warehouse_path}' as wh (read_only)")
        con.execute(f"create schema {MARTS_SCHEMA}")
        for name in mart_tables(con, "wh"):
            con.execute(f"create table {MARTS_SCHEMA}.{name} as select * from wh.{MARTS_SCHEMA}.{name}")
            tables[name] = con.execute(f"select count(*) from {MARTS_SCHEMA}.{name}").fetchone()[0]
            con.execute(f"copy {MARTS_SCHEMA}.{name} to '{version_dir / (name + '.parquet')}' (format parquet)")
        con.execute("detach wh")
        con.execute("checkpoint")
    finally:
        con.close()

    # Swap in: the DuckDB file first, then the Parquet symlink; each step is one rename.
    os.replace(tmp_bi, bi_path)
    previous = parquet_link.resolve() if parquet_link.is_symlink() else None
    new_link = data_dir / f".bi.link.{stamp}"
    new_link.symlink_to(Path(VERSIONS_DIR) / stamp, target_is_directory=True)
    if parquet_link.exists() and not parquet_link.is_symlink():
        shutil.rmtree(parquet_link)
    os.replace(new_link, parquet_link)
    prune_versions(versions, {version_dir.resolve(), previous})
    return PublishResult(bi_path=bi_path, parquet_dir=parquet_link, tables=tables)
