"""publish() killed with SIGKILL between any two of its steps leaves whole files behind.

A subprocess runs the real `pipelines.publish.bi.publish` with a hook that kills the process
at one point; then the files are inspected, and the next publish must succeed and leave no
temporary file. The points, in publish order:
- mid_write:      after the first mart was copied into bi.duckdb.tmp and its Parquet file
- before_swap:    everything written, nothing renamed yet
- between_swaps:  bi.duckdb renamed into place, the Parquet symlink not yet
- before_prune:   both swapped in, the old Parquet versions not yet removed
Until `before_swap` both files are the previous publish, byte for byte. At `between_swaps`
each is whole but they are one publish apart (the window is two renames long); the next
publish brings them together again.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.publish.bi import publish

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CRASH = r"""
import os, signal, sys
from pathlib import Path
import pipelines.publish.bi as bi

point = sys.argv[1]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)

if point == "mid_write":
    real = bi.mart_tables
    class DieOnSecond(list):
        def __iter__(self):
            for i, name in enumerate(list.__iter__(self)):
                if i == 1:
                    die()
                yield name
    bi.mart_tables = lambda con, catalog: DieOnSecond(real(con, catalog))
elif point in ("before_swap", "between_swaps"):
    real_replace, calls = os.replace, []
    def replace(src, dst):
        calls.append(src)
        if (point == "before_swap" and len(calls) == 1) or (point == "between_swaps" and len(calls) == 2):
            die()
        return real_replace(src, dst)
    bi.os.replace = replace
elif point == "before_prune":
    bi.prune_versions = lambda versions, keep: die()

data = Path(sys.argv[2])
bi.publish(data / "warehouse.duckdb", data / "bi.duckdb", data / "bi")
print("not killed", flush=True)
"""


def _generation_of_bi(bi: Path) -> int:
    with duckdb.connect(str(bi), read_only=True) as con:
        g1, n1 = con.execute("select max(generation), count(*) from marts.genomflode").fetchone()
        g2, n2 = con.execute("select max(generation), count(*) from marts.resultat").fetchone()
    assert g1 == g2 and n1 == g1 * 10 and n2 == g2 * 10 + 1, "bi.duckdb is not one whole publish"
    return g1


def _generation_of_parquet(link: Path) -> int:
    version = link.resolve()  # read both files from one version, as a Parquet reader should
    a = pl.read_parquet(version / "genomflode.parquet")
    b = pl.read_parquet(version / "resultat.parquet")
    g = a["generation"].max()
    assert b["generation"].max() == g and a.height == g * 10 and b.height == g * 10 + 1, "bi/ is not one whole publish"
    return g


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(data: Path) -> list[str]:
    return sorted(
        p.name for p in data.iterdir() if p.name.endswith((".tmp", ".tmp.wal")) or p.name.startswith(".bi.link")
    )


@pytest.mark.parametrize(
    "point, bi_after, parquet_after",
    [("mid_write", 1, 1), ("before_swap", 1, 1), ("between_swaps", 2, 1), ("before_prune", 2, 2)],
)
def test_publish_killed_at_any_step_leaves_whole_files_and_the_next_publish_cleans_up(
    tmp_path, generation_warehouse, point, bi_after, parquet_after
):
    data = tmp_path
    generation_warehouse(data / "warehouse.duckdb", 1)
    publish(data / "warehouse.duckdb", data / "bi.duckdb", data / "bi")
    before = _digest(data / "bi.duckdb")
    generation_warehouse(data / "warehouse.duckdb", 2)

    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, point, str(data)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr

    assert _generation_of_bi(data / "bi.duckdb") == bi_after
    assert _generation_of_parquet(data / "bi") == parquet_after
    if bi_after == 1:
        assert _digest(data / "bi.duckdb") == before  # byte for byte the previous publish
    if point in ("mid_write", "before_swap"):
        assert "bi.duckdb.tmp" in _leftovers(data)  # what the next publish has to clean up

    generation_warehouse(data / "warehouse.duckdb", 3)
    publish(data / "warehouse.duckdb", data / "bi.duckdb", data / "bi")
    assert _generation_of_bi(data / "bi.duckdb") == 3 and _generation_of_parquet(data / "bi") == 3
    assert _leftovers(data) == []
    versions = list((data / "bi_versions").iterdir())
    assert len(versions) <= 2 and (data / "bi").resolve() in {v.resolve() for v in versions}
    assert not any(p.name.endswith(".wal") for p in data.iterdir())
    assert os.path.islink(data / "bi")
