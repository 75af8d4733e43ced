"""In a nightly build the dbt tests on the marts a night rebuilds in part check the rows the night
recomputed (dbt_project/macros/nightly_scope.sql): a broken row in scope fails the build, a row
outside it (a period that had ended at the last build, of a förbund without new files) is one
an earlier build checked. Outside a nightly build every row is checked.

Shown on a copy of the shared demo warehouse (as_of 2026-10-31): one row of genomflode broken in
an open period and one in a closed period, for a singular test (the months add up to the year)
and a generic one (expression_is_true on the mart), run by `dbt test` with and without a scope.
A model scoped by key (int_deltagande_kategori) is checked on the keys the night recomputed,
which its build records: one episode's row doubled among them, one outside.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.nightly_scope import Scope, drop_scope, write_scope
from pipelines.settings import DBT_PROJECT_DIR

SINCE = dt.date(2026, 10, 31)  # the last build's as_of: periods ending after it are open
SINGULAR = "assert_manader_summerar_till_langre_perioder"
GENERIC = "expression_is_true_genomflode_period_typ_ar_or_anonyma_0"
BY_KEY = "unique_combination_of_columns_int_deltagande_kategori_deltagande_id__dimension__kategori"


def _break_one_row(con: duckdb.DuckDBPyConnection, period_typ: str, period_id: str, change: str) -> str:
    """Break the first row of the period; returns its förbund."""
    key = con.execute(
        "select forbund, insats_id, kon from marts.genomflode where period_typ = ? and period_id = ? "
        "order by forbund, insats_id, kon limit 1",
        [period_typ, period_id],
    ).fetchone()
    assert key is not None, (period_typ, period_id)
    con.execute(
        f"update marts.genomflode set {change} where period_typ = ? and period_id = ? "
        "and forbund = ? and insats_id = ? and kon = ?",
        [period_typ, period_id, *key],
    )
    return key[0]


def _failures(warehouse: Path, tmp_path: Path, label: str) -> dict[str, int]:
    """Rows returned per test, by `dbt test` of the three tests on `warehouse`."""
    target = tmp_path / f"target_{label}"
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt), "test", "--select", f"{SINGULAR} test_name:expression_is_true,genomflode {BY_KEY}",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(tmp_path / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "FINSAM_WAREHOUSE_PATH": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    results = json.loads((target / "run_results.json").read_text())["results"]
    by_name = {}
    for r in results:
        name = r["unique_id"].split(".")[2]
        short = SINGULAR if name == SINGULAR else GENERIC if name.startswith(GENERIC) else name
        by_name[BY_KEY if name.startswith(BY_KEY) else short] = r["failures"]
    return by_name


@dataclass(frozen=True)
class BrokenWarehouse:
    path: Path
    forbund_of_closed_rows: list[str]  # of the rows broken in periods that had ended
    recomputed_episode: str  # of the two episodes with a doubled category row, the one "recomputed"


@pytest.fixture(scope="module")
def broken(demo_refresh, tmp_path_factory) -> BrokenWarehouse:
    data = demo_refresh.copy_to(tmp_path_factory.mktemp("scoped_checks") / "data")
    warehouse = data / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        # a year's nyinskrivna no longer the sum of its months: 2026 is open, 2024 closed
        _break_one_row(con, "ar", "2026", "nyinskrivna = nyinskrivna + 1")
        closed = {_break_one_row(con, "ar", "2024", "nyinskrivna = nyinskrivna + 1")}
        # anonyma outside a year's row: 2026-Q4 is open, 2024-Q4 closed
        _break_one_row(con, "kvartal", "2026-Q4", "anonyma = 1")
        closed.add(_break_one_row(con, "kvartal", "2024-Q4", "anonyma = 1"))
        # two episodes of förbund without broken mart rows, each with a category row twice
        recomputed, other = (
            r[0]
            for r in con.execute(
                "select distinct deltagande_id from intermediate.int_deltagande_kategori where forbund not in "
                "(select unnest(?::varchar[])) order by deltagande_id limit 2",
                [sorted(closed)],
            ).fetchall()
        )
        con.execute(
            "insert into intermediate.int_deltagande_kategori select * from intermediate.int_deltagande_kategori "
            "where deltagande_id in (?, ?) qualify row_number() over (partition by deltagande_id) = 1",
            [recomputed, other],
        )
    return BrokenWarehouse(warehouse, sorted(closed), recomputed)


def _write_scope(warehouse: Path, forbund: list[str], recomputed: list[str] | None = None) -> None:
    """The scope the pipeline writes before a nightly build; `recomputed`: the keys the build of
    int_deltagande_kategori records (macros/nightly_scope.sql), None when it was not built."""
    scope = Scope(full=False, reason="a test", since_as_of=SINCE, forbund=tuple(forbund))
    with duckdb.connect(str(warehouse)) as con:
        write_scope(con, scope)
        if recomputed is not None:
            con.execute(
                "create table pipeline_state.nightly_keys__int_deltagande_kategori as "
                "select unnest(?::varchar[]) as deltagande_id",
                [recomputed],
            )


def _drop_scope(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        drop_scope(con)


def test_a_nightly_build_checks_the_rows_in_scope_of_marts_built_in_part(broken, tmp_path) -> None:
    _write_scope(broken.path, [], recomputed=[broken.recomputed_episode])
    try:
        assert _failures(broken.path, tmp_path, "night") == {SINGULAR: 1, GENERIC: 1, BY_KEY: 1}
    finally:
        _drop_scope(broken.path)


def test_a_nightly_build_checks_every_row_of_a_forbund_with_new_files(broken, tmp_path) -> None:
    _write_scope(broken.path, broken.forbund_of_closed_rows, recomputed=[broken.recomputed_episode])
    try:
        assert _failures(broken.path, tmp_path, "forbund") == {SINGULAR: 2, GENERIC: 2, BY_KEY: 1}
    finally:
        _drop_scope(broken.path)


def test_a_model_scoped_by_key_without_recorded_keys_is_checked_whole(broken, tmp_path) -> None:
    """A night in which the model was not built incrementally (no keys recorded)."""
    _write_scope(broken.path, [])
    try:
        assert _failures(broken.path, tmp_path, "no_keys")[BY_KEY] == 2
    finally:
        _drop_scope(broken.path)
    with duckdb.connect(str(broken.path)) as con:
        left = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'pipeline_state' and table_name like 'nightly%'"
        ).fetchone()[0]
    assert left == 0


def test_outside_a_nightly_build_every_row_is_checked(broken, tmp_path) -> None:
    assert _failures(broken.path, tmp_path, "full") == {SINGULAR: 2, GENERIC: 2, BY_KEY: 2}
