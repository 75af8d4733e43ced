"""The BI path of the README: SQLAlchemy (duckdb_engine) on bi.duckdb, read-only.

Metabase, Superset and notebooks reach bi.duckdb the way tested here:
`duckdb:///<data dir>/bi.duckdb` with `connect_args={"read_only": True}` (or
`?access_mode=READ_ONLY` in the URL). A long-lived process sees a new publish only once it has
no connection to the file left open (DuckDB caches the database per process): with NullPool
every query opens the file anew; with a pool, recycle or dispose it after the nightly refresh.
"""

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pipelines.publish.bi import publish

THROUGHPUT = """
select forbund, sum(nyinskrivna) as nyinskrivna, sum(avslutade) as avslutade
from marts.genomflode
where period_typ = 'ar' and period_id = '2025'
group by forbund
order by forbund
"""


def _warehouse(path: Path, malmo_kvinna: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists raw")
        con.execute("create or replace table raw.sus_deltagare as select 'not for BI' as person_id")
        con.execute(
            """
            create or replace table marts.genomflode (
                forbund varchar, insats_id varchar, period_typ varchar, period_id varchar,
                kon varchar, nyinskrivna integer, avslutade integer
            )
            """
        )
        con.execute(
            "insert into marts.genomflode values "
            "('Samordningsförbundet Malmö', 'M-01', 'ar', '2025', 'Kvinna', ?, 9), "
            "('Samordningsförbundet Malmö', 'M-01', 'ar', '2025', 'Man', 17, 11), "
            "('Samordningsförbundet Västerås', 'V-02', 'ar', '2025', 'Kvinna', 12, 4), "
            "('Samordningsförbundet Västerås', 'V-02', 'halvar', '2025-H1', 'Kvinna', 7, 2)",
            [malmo_kvinna],
        )


@pytest.fixture()
def bi(tmp_path) -> Path:
    _warehouse(tmp_path / "warehouse.duckdb", malmo_kvinna=23)
    publish(tmp_path / "warehouse.duckdb", tmp_path / "bi.duckdb", tmp_path / "bi")
    return tmp_path / "bi.duckdb"


def test_sqlalchemy_reads_a_mart_read_only(bi):
    engine = create_engine(f"duckdb:///{bi}", connect_args={"read_only": True}, poolclass=NullPool)
    with engine.connect() as con:
        rows = con.execute(text(THROUGHPUT)).fetchall()
        assert [tuple(r) for r in rows] == [
            ("Samordningsförbundet Malmö", 40, 20),
            ("Samordningsförbundet Västerås", 12, 4),
        ]
        schemas = {r[0] for r in con.execute(text("select distinct table_schema from information_schema.tables"))}
        assert schemas == {"marts"}  # no raw, no person-level table in the BI file
        with pytest.raises(DBAPIError, match="read-only"):
            con.execute(text("delete from marts.genomflode"))


def test_the_url_form_is_read_only_too(bi):
    engine = create_engine(f"duckdb:///{bi}?access_mode=READ_ONLY", poolclass=NullPool)
    with engine.connect() as con:
        assert con.execute(text("select current_setting('access_mode')")).scalar() == "read_only"
        assert con.execute(text("select count(*) from marts.genomflode")).scalar() == 4


def test_a_pooled_reader_blocks_no_publish_and_sees_it_after_recycling(bi):
    data = bi.parent
    nullpool = create_engine(f"duckdb:///{bi}", connect_args={"read_only": True}, poolclass=NullPool)
    pooled = create_engine(f"duckdb:///{bi}", connect_args={"read_only": True}, pool_size=1)
    malmo = "select sum(nyinskrivna) from marts.genomflode where forbund = 'Samordningsförbundet Malmö'"
    with pooled.connect() as con:
        assert con.execute(text(malmo)).scalar() == 40

    # the pool keeps its connection open: the nightly publish still goes through
    _warehouse(data / "warehouse.duckdb", malmo_kvinna=30)
    publish(data / "warehouse.duckdb", bi, data / "bi")

    with pooled.connect() as con:
        assert con.execute(text(malmo)).scalar() == 40  # the pooled connection: the old file
    pooled.dispose()  # what pool_recycle does after its interval
    for engine in (pooled, nullpool):
        with engine.connect() as con:
            assert con.execute(text(malmo)).scalar() == 47
    pooled.dispose()
