"""The nightly refresh: as_of one day on and one förbund's SUS export replaced by a newer one in
which some ongoing episodes ended. The refresh rebuilds only what a night can change
(pipelines/nightly_scope.py, dbt_project/macros/nightly_scope.sql), and every mart it
publishes equals, row for row, a full rebuild of the very same inputs."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
from pathlib import Path

import duckdb
import pytest
from cli_refresh import AS_OF, FINSAM, refresh_env

BENCH = Path(__file__).resolve().parents[2] / "bench"
NEXT_DAY = (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)).isoformat()


def _bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _refresh(data: Path, landing: Path, *flags: str) -> subprocess.CompletedProcess:
    command = [FINSAM, "refresh", "--data-dir", str(data), "--landing", str(landing), "--as-of", NEXT_DAY, *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, env=refresh_env())


@pytest.fixture(scope="module")
def night(demo_refresh, tmp_path_factory):
    bench = _bench_run()
    work = tmp_path_factory.mktemp("nightly")
    nightly_data = demo_refresh.copy_to(work / "nightly")
    rebuilt_data = demo_refresh.copy_to(work / "rebuilt")
    landing = work / "landing_night"
    change = bench.nightly_landing(demo_refresh.data / "landing", landing, NEXT_DAY)
    nightly = _refresh(nightly_data, landing)
    rebuilt = _refresh(rebuilt_data, landing, "--force")
    return {
        "bench": bench,
        "change": change,
        "nightly": nightly,
        "rebuilt": rebuilt,
        "nightly_data": nightly_data,
        "rebuilt_data": rebuilt_data,
    }


def test_the_night_changes_one_export_and_ends_episodes(night):
    assert night["change"].get("episodes_ended", 0) > 0, night["change"]


def test_the_nightly_refresh_rebuilds_only_the_scope(night):
    result = night["nightly"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert f"nightly build: periods open at {AS_OF}" in log
    assert "full build" not in log
    # a night's many small queries run on profiles.yml's two dbt threads
    assert "Concurrency: 2 threads" in log


def test_a_forced_refresh_rebuilds_everything(night):
    result = night["rebuilt"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "full build: a rebuild was asked for (--force)" in result.stdout + result.stderr
    # a full build's few big queries run one at a time (FULL_BUILD_THREADS)
    assert "Concurrency: 1 threads" in result.stdout + result.stderr


def test_every_mart_of_the_night_equals_the_full_rebuild(night):
    compared = night["bench"].marts_identical(night["nightly_data"] / "bi.duckdb", night["rebuilt_data"] / "bi.duckdb")
    differing = {m: v for m, v in compared["marts"].items() if any(v.values())}
    assert compared["identical"], (differing, compared["only_in_nightly"], compared["only_in_rebuild"])
    assert len(compared["marts"]) == 17


def test_the_night_is_recorded_for_the_next_one(night):
    with duckdb.connect(str(night["nightly_data"] / "warehouse.duckdb"), read_only=True) as con:
        last = con.execute(
            "select as_of, rebuilt_in_full, forbund from pipeline_state.builds order by build_id desc limit 1"
        ).fetchone()
        scope_tables = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'pipeline_state' and table_name like 'nightly%'"
        ).fetchone()[0]
    assert (last[0].isoformat(), last[1], len(last[2])) == (NEXT_DAY, False, 1)
    assert scope_tables == 0


def test_after_the_night_reports_whose_rows_did_not_change_are_kept(night):
    # the changed export ends episodes on the new day only: no latest complete half-year or
    # year shows a changed row, so every report is kept (which rows a report shows: unit tests)
    log = night["nightly"].stdout + night["nightly"].stderr
    rendered = re.search(r"reports rendered (\d+) in [\d.]+ s.*?; (\d+) kept", log)
    assert rendered, log[-3000:]
    reports = list((night["nightly_data"] / "reports").rglob("*.html"))
    assert int(rendered.group(1)) + int(rendered.group(2)) == len(reports)
    assert int(rendered.group(2)) > 0


def _parquet_differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Per Parquet file of two published `bi` folders: rows only in a, rows only in b."""
    con = duckdb.connect()
    out = {}
    for name in sorted({p.name for p in a.glob("*.parquet")} | {p.name for p in b.glob("*.parquet")}):
        if not (a / name).exists() or not (b / name).exists():
            out[name] = (-1, -1)
            continue
        fa, fb = f"read_parquet('{a / name}')", f"read_parquet('{b / name}')"
        out[name] = (
            con.execute(f"select count(*) from (from {fa} except all from {fb})").fetchone()[0],
            con.execute(f"select count(*) from (from {fb} except all from {fa})").fetchone()[0],
        )
    return out


def test_every_parquet_file_of_the_night_equals_the_full_rebuild(night):
    differences = _parquet_differences(night["nightly_data"] / "bi", night["rebuilt_data"] / "bi")
    assert len(differences) == 17
    assert {name: d for name, d in differences.items() if d != (0, 0)} == {}


def test_the_night_keeps_the_parquet_files_of_unchanged_marts_and_writes_the_changed_ones(night):
    log = night["nightly"].stdout + night["nightly"].stderr
    kept = re.search(r"Parquet file kept: ([\w, ]+)", log)
    assert kept, log[-3000:]
    kept = kept.group(1).split(", ")
    served = night["nightly_data"] / "bi"
    # a kept file is the previous version's (a hard link); the night's SUS export changed genomflode
    assert all((served / f"{name}.parquet").stat().st_nlink == 2 for name in kept)
    assert "genomflode" not in kept and (served / "genomflode.parquet").stat().st_nlink == 1


def test_the_nights_workbooks_equal_the_full_rebuilds(night):
    import fastexcel

    def workbooks(data: Path) -> dict[str, list]:
        root = data / "exports" / "uppfoljning_finsam"
        out = {}
        for path in sorted(root.rglob("*.xlsx")):
            book = fastexcel.read_excel(path)
            out[path.relative_to(root).as_posix()] = [
                book.load_sheet(i, header_row=None).to_polars().rows() for i in range(len(book.sheet_names))
            ]
        return out

    nightly, rebuilt = workbooks(night["nightly_data"]), workbooks(night["rebuilt_data"])
    assert nightly and list(nightly) == list(rebuilt)
    assert {name: book for name, book in nightly.items() if book != rebuilt[name]} == {}
