"""Publishing marts to bi.duckdb and Parquet: only schema marts, swapped in whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from pipelines.nightly_scope import Scope, ScopedMart
from pipelines.publish.bi import publish


def _warehouse(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists raw")
        con.execute("create or replace table raw.sus_deltagare as select 'secret' as person_id")
        con.execute(f"create or replace table marts.genomflode as select range as n from range({rows})")
        con.execute("create or replace table marts.dim_period as select 1 as x")
        con.execute("create or replace view marts.a_view as select 1 as x")


def test_publish_copies_only_mart_tables(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 5)
    result = publish(wh, tmp_path / "bi.duckdb", tmp_path / "bi")
    assert result.tables == {"dim_period": 1, "genomflode": 5}
    with duckdb.connect(str(tmp_path / "bi.duckdb"), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts"}
        assert con.execute("select count(*) from marts.genomflode").fetchone()[0] == 5
    assert pl.read_parquet(tmp_path / "bi" / "genomflode.parquet").height == 5
    assert (tmp_path / "bi").is_symlink()
    assert not list(tmp_path.glob("bi.duckdb.tmp*"))


def test_republish_swaps_while_a_reader_holds_the_old_file(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    bi = tmp_path / "bi.duckdb"
    _warehouse(wh, 5)
    publish(wh, bi, tmp_path / "bi")
    reader = duckdb.connect(str(bi), read_only=True)
    try:
        _warehouse(wh, 7)
        publish(wh, bi, tmp_path / "bi")
        # the open reader still sees one whole (old) refresh
        assert reader.execute("select count(*) from marts.genomflode").fetchone()[0] == 5
    finally:
        reader.close()
    with duckdb.connect(str(bi), read_only=True) as con:
        assert con.execute("select count(*) from marts.genomflode").fetchone()[0] == 7
    assert pl.read_parquet(tmp_path / "bi" / "genomflode.parquet").height == 7
    # the previous Parquet version is kept for readers mid-read, older ones pruned
    assert len(list((tmp_path / "bi_versions").iterdir())) == 2
    publish(wh, bi, tmp_path / "bi")
    assert len(list((tmp_path / "bi_versions").iterdir())) == 2


def test_leftovers_of_a_crashed_publish_are_cleaned(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 3)
    (tmp_path / "bi.duckdb.tmp").write_bytes(b"half a file")
    (tmp_path / ".bi.link.x").symlink_to("nowhere")
    publish(wh, tmp_path / "bi.duckdb", tmp_path / "bi")
    assert not (tmp_path / "bi.duckdb.tmp").exists()
    assert not (tmp_path / ".bi.link.x").is_symlink()
    with duckdb.connect(str(tmp_path / "bi.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.genomflode").fetchone()[0] == 3


def test_a_half_written_parquet_version_is_pruned_and_the_served_one_kept(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 3)
    publish(wh, tmp_path / "bi.duckdb", tmp_path / "bi")
    served = (tmp_path / "bi").resolve()
    crashed = tmp_path / "bi_versions" / "99999999T999999"
    crashed.mkdir()
    (crashed / "genomflode.parquet").write_bytes(b"partial")
    publish(wh, tmp_path / "bi.duckdb", tmp_path / "bi")
    remaining = {p.resolve() for p in (tmp_path / "bi_versions").iterdir()}
    assert remaining == {served, (tmp_path / "bi").resolve()}
    assert not crashed.exists()


def _scoped_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.genomflode as select * from (values "
            "('A', date '2026-06-30', 1), ('A', date '2026-12-31', 2), ('B', date '2026-06-30', 3)) "
            "as t(forbund, period_slut, antal)"
        )
        con.execute("create or replace table marts.dim_period as select 1 as x")


def test_after_a_night_only_the_changed_rows_of_a_scoped_mart_are_replaced(tmp_path):
    wh, bi = tmp_path / "warehouse.duckdb", tmp_path / "bi.duckdb"
    _scoped_warehouse(wh)
    publish(wh, bi, tmp_path / "bi")
    with duckdb.connect(str(wh)) as con:  # the night: every row recomputed differently
        con.execute("update marts.genomflode set antal = antal + 10")
        con.execute("create or replace table marts.dim_period as select 2 as x")
    night = Scope(full=False, reason="a night", since_as_of=dt.date(2026, 10, 31), forbund=("B",))
    scoped = {"genomflode": ScopedMart("genomflode", "forbund", "period_slut", 0)}
    result = publish(wh, bi, tmp_path / "bi", night, scoped)
    assert result.replaced_in_part == ["genomflode"]
    with duckdb.connect(str(bi), read_only=True) as con:
        rows = con.execute("select forbund, period_slut::varchar, antal from marts.genomflode order by all").fetchall()
        assert con.execute("select x from marts.dim_period").fetchall() == [(2,)]
    # A's closed half-year is outside the night's scope and stays as published
    assert rows == [("A", "2026-06-30", 1), ("A", "2026-12-31", 12), ("B", "2026-06-30", 13)]
    assert sorted(pl.read_parquet(tmp_path / "bi" / "genomflode.parquet")["antal"].to_list()) == [1, 12, 13]


def test_a_full_build_publishes_every_row_anew(tmp_path):
    wh, bi = tmp_path / "warehouse.duckdb", tmp_path / "bi.duckdb"
    _scoped_warehouse(wh)
    publish(wh, bi, tmp_path / "bi")
    with duckdb.connect(str(wh)) as con:
        con.execute("update marts.genomflode set antal = antal + 10")
    scoped = {"genomflode": ScopedMart("genomflode", "forbund", "period_slut", 0)}
    result = publish(wh, bi, tmp_path / "bi", Scope(full=True, reason="full"), scoped)
    assert result.replaced_in_part == []
    with duckdb.connect(str(bi), read_only=True) as con:
        assert con.execute("select sum(antal) from marts.genomflode").fetchone()[0] == 36


def test_a_night_publish_records_which_forbund_and_periods_differ(tmp_path):
    wh, bi = tmp_path / "warehouse.duckdb", tmp_path / "bi.duckdb"
    _scoped_warehouse(wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("alter table marts.genomflode add column period_start date")
        con.execute("update marts.genomflode set period_start = period_slut - interval 5 month")
    publish(wh, bi, tmp_path / "bi")
    with duckdb.connect(str(wh)) as con:  # the night changes B's row only
        con.execute("update marts.genomflode set antal = 99 where forbund = 'B'")
    night = Scope(full=False, reason="a night", since_as_of=dt.date(2026, 10, 31), forbund=("B",))
    scoped = {"genomflode": ScopedMart("genomflode", "forbund", "period_slut", 0)}
    result = publish(wh, bi, tmp_path / "bi", night, scoped)
    assert result.changed == [("genomflode", "B", dt.date(2026, 1, 30), dt.date(2026, 6, 30))]
    # a full publish says nothing about what changed: everything may have
    assert publish(wh, bi, tmp_path / "bi", Scope(full=True, reason="full"), scoped).changed is None


def _night_without_change(tmp_path: Path):
    """A warehouse published once, then a night that recomputed genomflode's scope with the same
    rows and moved dim_period's data date."""
    wh, bi = tmp_path / "warehouse.duckdb", tmp_path / "bi.duckdb"
    _scoped_warehouse(wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("create or replace table marts.dim_period as select 'ar' as period_typ, date '2026-11-01' as as_of")
        con.execute("create or replace table marts.dim_kategori as select 'a' as kategori")
    publish(wh, bi, tmp_path / "bi")
    with duckdb.connect(str(wh)) as con:
        con.execute("create or replace table marts.dim_period as select 'ar' as period_typ, date '2026-11-02' as as_of")
    night = Scope(full=False, reason="a night", since_as_of=dt.date(2026, 10, 31), forbund=("B",))
    scoped = {"genomflode": ScopedMart("genomflode", "forbund", "period_slut", 0)}
    return wh, bi, night, scoped


def test_a_mart_the_night_did_not_change_keeps_its_parquet_file(tmp_path):
    wh, bi, night, scoped = _night_without_change(tmp_path)
    before = {p.name: p.stat().st_ino for p in (tmp_path / "bi").resolve().iterdir()}
    result = publish(wh, bi, tmp_path / "bi", night, scoped)
    after = {p.name: p.stat().st_ino for p in (tmp_path / "bi").resolve().iterdir()}
    assert result.kept == ["dim_kategori", "genomflode"]
    assert result.replaced_in_part == [] and result.changed == []
    assert after["genomflode.parquet"] == before["genomflode.parquet"]
    assert after["dim_kategori.parquet"] == before["dim_kategori.parquet"]
    # dim_period's data date is left out of the comparison, so it is always written anew
    assert after["dim_period.parquet"] != before["dim_period.parquet"]
    assert pl.read_parquet(tmp_path / "bi" / "dim_period.parquet")["as_of"].to_list() == [dt.date(2026, 11, 2)]
    assert pl.read_parquet(tmp_path / "bi" / "genomflode.parquet").height == 3


def test_a_mart_with_changed_rows_gets_a_new_parquet_file(tmp_path):
    wh, bi, night, scoped = _night_without_change(tmp_path)
    with duckdb.connect(str(wh)) as con:
        con.execute("update marts.genomflode set antal = 99 where forbund = 'B'")
        con.execute("create or replace table marts.dim_kategori as select 'b' as kategori")
    before = (tmp_path / "bi" / "genomflode.parquet").stat().st_ino
    result = publish(wh, bi, tmp_path / "bi", night, scoped)
    assert result.kept == [] and result.replaced_in_part == ["genomflode"]
    assert (tmp_path / "bi" / "genomflode.parquet").stat().st_ino != before
    assert sorted(pl.read_parquet(tmp_path / "bi" / "genomflode.parquet")["antal"].to_list()) == [1, 2, 99]
    assert pl.read_parquet(tmp_path / "bi" / "dim_kategori.parquet")["kategori"].to_list() == ["b"]


def test_after_a_publish_stopped_between_its_swaps_every_parquet_file_is_written(tmp_path):
    wh, bi, night, scoped = _night_without_change(tmp_path)
    # bi.duckdb swapped, the Parquet link not: the served Parquet may be older than bi.duckdb
    (tmp_path / ".bi.link.20261102T000000000000").symlink_to("bi_versions/20261102T000000000000")
    result = publish(wh, bi, tmp_path / "bi", night, scoped)
    assert result.kept == []
    assert pl.read_parquet(tmp_path / "bi" / "genomflode.parquet").height == 3


def test_a_row_twice_where_it_was_once_is_a_difference(tmp_path):
    wh, bi, night, scoped = _night_without_change(tmp_path)
    with duckdb.connect(str(wh)) as con:
        con.execute("insert into marts.genomflode values ('B', date '2026-06-30', 3)")
    result = publish(wh, bi, tmp_path / "bi", night, scoped)
    assert result.changed == [("genomflode", "B", None, dt.date(2026, 6, 30))]
    assert pl.read_parquet(tmp_path / "bi" / "genomflode.parquet").height == 4
