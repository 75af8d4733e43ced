"""The PostgreSQL publish against a real server (the session's throwaway cluster).

- the demo refresh's marts arrive cell by cell, with types that round-trip and primary keys;
- a login granted one förbund's role sees only that förbund's rows, in every mart and through
  aggregates and joins; `finsam_alla` sees all; no reader can write or create;
- förbund names with quotes, semicolons and non-ASCII letters get safe roles and policies;
- a failed load (a key violated, the server stopped mid-load, a reader holding a table past
  the swap's lock timeout) leaves yesterday's marts and no half-loaded schema.
"""

from __future__ import annotations

import collections
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql

import pipelines.publish.postgres as pg_publish
from pipelines.publish.postgres import PostgresPublishError, publish_postgres, role_for

MALMO = "Samordningsförbundet Malmö"


def _login(cluster, url: str, name: str, *roles: str) -> str:
    """A person's login, granted the given roles by the DBA; its URL on the writer's database."""
    cluster.sql(sql.SQL("create role {} login").format(sql.Identifier(name)))
    for role in roles:
        cluster.sql(sql.SQL("grant {} to {}").format(sql.Identifier(role), sql.Identifier(name)))
    return cluster.url(name, psycopg.conninfo.conninfo_to_dict(url)["dbname"])


def _rows(con, query: str, params=None) -> list[tuple]:
    return con.execute(query, params).fetchall()


def _sorted(rows) -> list[tuple]:
    return sorted(rows, key=lambda r: tuple((v is None, type(v).__name__, repr(v)) for v in r))


def _duck_marts(bi: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(bi), read_only=True) as con:
        out: dict[str, list[str]] = collections.defaultdict(list)
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
            "order by table_name, ordinal_position"
        ).fetchall():
            out[table].append(column)
    return dict(out)


@pytest.fixture(scope="module")
def demo_bi(demo_refresh) -> Path:
    assert demo_refresh.first.returncode == 0, demo_refresh.first.stdout[-3000:]
    return demo_refresh.data / "bi.duckdb"


@pytest.fixture(params=["one connection", "parallel"])
def load_connections(request, monkeypatch) -> str:
    """The demo's marts are small enough for one connection; `parallel` loads them over
    LOAD_CONNECTIONS connections, as national-scale marts are."""
    if request.param == "parallel":
        monkeypatch.setattr(pg_publish, "PARALLEL_MIN_ROWS", 0)
    return request.param


def test_every_mart_arrives_cell_by_cell_with_its_key(demo_bi, postgres_url, load_connections):
    result = publish_postgres(demo_bi, postgres_url)
    marts = _duck_marts(demo_bi)
    assert set(result.tables) == set(marts) and len(marts) >= 12
    keys = pg_publish.mart_keys()
    with duckdb.connect(str(demo_bi), read_only=True) as duck, psycopg.connect(postgres_url) as pg:
        for mart, columns in marts.items():
            pg_columns = [
                r[0]
                for r in _rows(
                    pg,
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = %s order by ordinal_position",
                    [mart],
                )
            ]
            assert pg_columns == columns, mart
            cols = ", ".join(f'"{c}"' for c in columns)
            expected = _sorted(duck.execute(f"select {cols} from marts.{mart}").fetchall())
            got = _sorted(_rows(pg, f"select {cols} from marts.{mart}"))
            assert len(got) == len(expected) == result.tables[mart], mart
            for want, have in zip(expected, got, strict=False):
                assert have == want, f"{mart}: {have} != {want}"
                assert [type(v) for v in have] == [type(v) for v in want], f"{mart}: types {have} vs {want}"
            if mart in keys:
                pk = [
                    r[0]
                    for r in _rows(
                        pg,
                        "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                        "where i.indrelid = %s::regclass and i.indisprimary order by array_position(i.indkey::int2[], a.attnum)",
                        [f"marts.{mart}"],
                    )
                ]
                assert tuple(pk) == keys[mart], mart
        # the writer is no superuser, and nothing is left beside schema marts
        assert _rows(pg, "select rolsuper, rolcreaterole from pg_roles where rolname = current_user") == [(False, True)]
        assert _rows(pg, "select nspname from pg_namespace where nspname like 'marts%' order by 1") == [("marts",)]
    # values that only exist in some marts round-trip too: decimals, dates, lists, booleans
    with psycopg.connect(postgres_url) as pg:
        types = {
            r[0] for r in _rows(pg, "select data_type from information_schema.columns where table_schema = 'marts'")
        }
    assert {"text", "integer", "bigint", "double precision", "date", "boolean"} <= types


def test_a_forbund_login_sees_only_its_own_rows(demo_bi, postgres_cluster, postgres_url):
    publish_postgres(demo_bi, postgres_url)
    marts = _duck_marts(demo_bi)
    with_forbund = sorted(m for m, cols in marts.items() if "forbund" in cols)
    malmo = _login(postgres_cluster, postgres_url, "analytiker_malmo", role_for(MALMO))
    alla = _login(postgres_cluster, postgres_url, "analytiker_riket", "finsam_alla")
    with (
        duckdb.connect(str(demo_bi), read_only=True) as duck,
        psycopg.connect(malmo) as mine,
        psycopg.connect(alla) as everyone,
    ):
        all_forbund = {r[0] for r in duck.execute("select distinct forbund from marts.dim_insats").fetchall()}
        assert MALMO in all_forbund and len(all_forbund) >= 3
        for mart in with_forbund:
            own = duck.execute(f"select count(*) from marts.{mart} where forbund = ?", [MALMO]).fetchone()[0]
            total = duck.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            assert _rows(mine, f"select count(*) from marts.{mart}") == [(own,)], mart
            assert {r[0] for r in _rows(mine, f"select distinct forbund from marts.{mart}")} <= {MALMO}, mart
            assert _rows(everyone, f"select count(*) from marts.{mart}") == [(total,)], mart
        # tables without a förbund are read whole
        periods = duck.execute("select count(*) from marts.dim_period").fetchone()[0]
        assert _rows(mine, "select count(*) from marts.dim_period") == [(periods,)]
        # aggregates over everything and joins reach no other förbund's rows
        own_sum = duck.execute("select sum(nyinskrivna) from marts.genomflode where forbund = ?", [MALMO]).fetchone()[0]
        assert _rows(mine, "select sum(nyinskrivna) from marts.genomflode") == [(own_sum,)]
        join = (
            "select d.forbund, count(*), sum(g.avslutade) from marts.genomflode g "
            "join marts.dim_insats d on d.insats_id = g.insats_id join marts.dim_period p using (period_typ, period_id) "
            "group by d.forbund order by 1"
        )
        assert _rows(mine, join) == [
            tuple(r) for r in duck.execute(join.replace("group by", f"where d.forbund = '{MALMO}' group by")).fetchall()
        ]
        assert len(_rows(everyone, join)) == len(all_forbund)
        # an insats of another förbund, asked for by name, is not there
        other = duck.execute("select insats_id from marts.dim_insats where forbund <> ? limit 1", [MALMO]).fetchone()[0]
        assert _rows(mine, "select count(*) from marts.genomflode where insats_id = %s", [other]) == [(0,)]


def test_no_reader_can_write_or_create(demo_bi, postgres_cluster, postgres_url):
    publish_postgres(demo_bi, postgres_url)
    logins = {
        "forbund": _login(postgres_cluster, postgres_url, "skriv_forsok_malmo", role_for(MALMO)),
        "alla": _login(postgres_cluster, postgres_url, "skriv_forsok_alla", "finsam_alla"),
        "nobody": _login(postgres_cluster, postgres_url, "utan_roll"),
    }
    attempts = [
        "insert into marts.genomflode (forbund) values ('x')",
        f"update marts.genomflode set nyinskrivna = 0 where forbund = '{MALMO}'",
        f"delete from marts.genomflode where forbund = '{MALMO}'",
        "truncate marts.dim_period",
        "create table marts.egen (x int)",
        "create schema egen",
        "create table public.egen (x int)",
        "alter table marts.genomflode disable row level security",
        "drop policy finsam_alla on marts.genomflode",
    ]
    for url in logins.values():
        with psycopg.connect(url, autocommit=True) as con:
            for statement in attempts:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    con.execute(statement)
    with psycopg.connect(logins["nobody"]) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("select count(*) from marts.genomflode")


def _bi(path: Path, generation: int, forbund: list[str], *, duplicate_key: bool = False) -> Path:
    """A tiny bi.duckdb: genomflode with generation*10 rows per förbund, dim_period, dim_insats."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_period as select 'ar' as period_typ, (2020 + range)::varchar as period_id, "
            "make_date(2020 + range::int, 1, 1) as period_start from range(3)"
        )
        con.execute(
            "create table marts.dim_insats (forbund varchar, insats_id varchar, arsplatser decimal(18,2), malutfall varchar[])"
        )
        con.execute(
            "create table marts.genomflode (forbund varchar, insats_id varchar, period_typ varchar, period_id varchar, "
            "kon varchar, generation integer, nyinskrivna bigint)"
        )
        for i, name in enumerate(forbund):
            insats = f"I{i}"
            con.execute("insert into marts.dim_insats values (?, ?, 12.5, ['arbete', 'studier'])", [name, insats])
            con.execute(
                "insert into marts.genomflode select ?, ?, 'manad', printf('2024-%03d', range), 'Kvinna', ?, range from range(?)",
                [name, insats, generation, generation * 10],
            )
        if duplicate_key:
            con.execute("insert into marts.genomflode select * from marts.genomflode limit 1")
    return path


def _generation(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as con:
        return con.execute("select max(generation), count(*) from marts.genomflode").fetchone()


def test_forbund_names_with_quotes_semicolons_and_non_ascii_letters_are_safe(tmp_path, postgres_cluster, postgres_url):
    names = [
        "O'Brien; drop table marts.genomflode; --",
        'Samordningsförbundet "Citat" Åsele',
        "Zürich Ærø Øresund",
        "Robert'); drop role finsam_alla; --",
    ]
    bi = _bi(tmp_path / "bi.duckdb", 1, names)
    result = publish_postgres(bi, postgres_url)
    assert set(result.roles) == set(names)
    with psycopg.connect(postgres_url) as con:
        assert _rows(con, "select count(*) from marts.genomflode") == [(40,)]
    assert postgres_cluster.sql("select count(*) from pg_roles where rolname = 'finsam_alla'") == [(1,)]
    for i, name in enumerate(names):
        role = role_for(name)
        assert postgres_cluster.sql("select rolcanlogin from pg_roles where rolname = %s", [role]) == [(False,)]
        url = _login(postgres_cluster, postgres_url, f"person_{i}", role)
        with psycopg.connect(url) as con:
            assert _rows(con, "select distinct forbund, count(*) over () from marts.genomflode") == [(name, 10)]
            assert _rows(con, "select forbund, arsplatser, malutfall from marts.dim_insats") == [
                (name, Decimal("12.50"), ["arbete", "studier"])
            ]


def test_two_forbund_with_one_role_name_publish_nothing(tmp_path, postgres_url):
    publish_postgres(_bi(tmp_path / "bi.duckdb", 1, ["SF Göta", "Annat"]), postgres_url)
    with pytest.raises(PostgresPublishError, match=r"would share the role finsam_sf_gota.*as it was before"):
        publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["SF Göta", "SF Gota"]), postgres_url)
    assert _generation(postgres_url) == (1, 20)


def test_a_violated_key_leaves_yesterdays_marts(tmp_path, postgres_url, load_connections):
    publish_postgres(_bi(tmp_path / "bi.duckdb", 1, ["A", "B"]), postgres_url)
    with pytest.raises(PostgresPublishError, match=r"UniqueViolation.*as it was before"):
        publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A", "B"], duplicate_key=True), postgres_url)
    assert _generation(postgres_url) == (1, 20)
    with psycopg.connect(postgres_url) as con:
        assert _rows(con, "select nspname from pg_namespace where nspname like 'marts%'") == [("marts",)]


def test_the_server_stopping_mid_load_leaves_yesterdays_marts(tmp_path, postgres_cluster, postgres_url, monkeypatch):
    publish_postgres(_bi(tmp_path / "bi.duckdb", 1, ["A", "B"]), postgres_url)
    real_load = pg_publish._create_and_load
    loaded = []

    def load_then_stop_the_server(cur, duck, mart):
        rows = real_load(cur, duck, mart)
        loaded.append(mart.name)
        if len(loaded) == 2:
            postgres_cluster.stop("immediate")  # as a crash or a power cut would
        return rows

    monkeypatch.setattr(pg_publish, "_create_and_load", load_then_stop_the_server)
    try:
        with pytest.raises(PostgresPublishError, match=r"PostgreSQL 127\.0\.0\.1:\d+/\w+: \w+.*as it was before"):
            publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A", "B"]), postgres_url)
    finally:
        postgres_cluster.start()
    assert len(loaded) == 2
    assert _generation(postgres_url) == (1, 20)
    monkeypatch.setattr(pg_publish, "_create_and_load", real_load)
    publish_postgres(_bi(tmp_path / "bi.duckdb", 3, ["A", "B"]), postgres_url)  # the leftover is dropped
    assert _generation(postgres_url) == (3, 60)


def test_a_reader_holding_a_table_past_the_lock_timeout_fails_the_swap_not_the_reader(
    tmp_path, postgres_cluster, postgres_url, monkeypatch
):
    monkeypatch.setattr(pg_publish, "SWAP_LOCK_TIMEOUT", "200ms")
    monkeypatch.setattr(pg_publish, "SWAP_ATTEMPTS", 2)
    monkeypatch.setattr(pg_publish, "SWAP_RETRY_PAUSE_S", 0.1)
    publish_postgres(_bi(tmp_path / "bi.duckdb", 1, ["A", "B"]), postgres_url)
    reader_url = _login(postgres_cluster, postgres_url, "lang_fraga", "finsam_alla")
    with psycopg.connect(reader_url) as reader:
        reader.execute("select count(*) from marts.genomflode").fetchone()  # its transaction keeps the table's lock
        with pytest.raises(
            PostgresPublishError, match="held a table of schema marts longer than 200ms on each of 2 tries"
        ):
            publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A", "B"]), postgres_url)
        assert reader.execute("select max(generation) from marts.genomflode").fetchone() == (1,)
    assert _generation(postgres_url) == (1, 20)
    with psycopg.connect(postgres_url) as con:
        assert _rows(con, "select nspname from pg_namespace where nspname like 'marts%'") == [("marts",)]
    publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A", "B"]), postgres_url)  # reader gone: it goes through
    assert _generation(postgres_url) == (2, 40)


def _generation_bi(path: Path, generation: int) -> Path:
    """genomflode: g*10 rows per förbund, resultat g*10+1; fordelning large enough that a load
    takes a moment. A reader that sees g*10 and g*10+1 of one g saw one whole publish."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for table, extra in (("genomflode", 0), ("resultat", 1)):
            con.execute(
                f"create table marts.{table} as select f.forbund, 'I' || f.forbund as insats_id, 'manad' as period_typ, "
                f"range::varchar as period_id, 'Man' as kon, {generation} as generation "
                f"from (values ('A'), ('B')) f(forbund), range({generation * 10 + extra})"
            )
        con.execute(
            "create table marts.fordelning as select 'A' as forbund, 'IA' as insats_id, 'manad' as period_typ, "
            "range::varchar as period_id, 'alder' as dimension, 'x' as kategori, 'Man' as kon, range as antal from range(50000)"
        )
    return path


READS = (
    "select (select max(generation) from marts.genomflode), (select count(*) from marts.genomflode), "
    "(select max(generation) from marts.resultat), (select count(*) from marts.resultat)"
)


def test_readers_in_a_loop_see_no_error_and_always_one_whole_refresh(tmp_path, postgres_cluster, postgres_url):
    import threading

    publish_postgres(_generation_bi(tmp_path / "bi_1.duckdb", 1), postgres_url)
    reader_url = _login(postgres_cluster, postgres_url, "lasare_a", role_for("A"))
    stop = threading.Event()
    seen: dict[str, list] = {"long": [], "new": []}

    def whole(con) -> int:
        g1, n1, g2, n2 = con.execute(READS).fetchone()
        return g1 if (g1 == g2 and n1 == g1 * 10 and n2 == g1 * 10 + 1) else -1  # RLS: förbund A's rows only

    def read(mode: str) -> None:
        long = psycopg.connect(reader_url, autocommit=True) if mode == "long" else None
        while True:
            done = stop.is_set()
            try:
                if long is not None:
                    seen[mode].append(whole(long))
                else:
                    with psycopg.connect(reader_url, autocommit=True) as con:
                        seen[mode].append(whole(con))
            except Exception as exc:  # noqa: BLE001 - every error a reader meets counts, whatever its type
                seen[mode].append(f"{type(exc).__name__}: {exc}")
            if done:
                break
        if long is not None:
            long.close()

    readers = [threading.Thread(target=read, args=(mode,)) for mode in seen]
    for t in readers:
        t.start()
    for generation in range(2, 7):  # five republishes
        publish_postgres(_generation_bi(tmp_path / f"bi_{generation}.duckdb", generation), postgres_url)
    stop.set()
    for t in readers:
        t.join(timeout=60)
    for mode, observations in seen.items():
        errors = [o for o in observations if isinstance(o, str)]
        assert errors == [], f"{mode}: {errors[:3]}"
        assert -1 not in observations, f"{mode} saw half a refresh"
        assert observations == sorted(observations), f"{mode} went back in time"
        assert observations[-1] == 6 and len(set(observations)) >= 3, f"{mode} saw {sorted(set(observations))}"
        assert len(observations) >= 20, f"{mode} read only {len(observations)} times"


def test_a_view_someone_built_on_the_marts_is_not_dropped_silently(tmp_path, postgres_cluster, postgres_url):
    publish_postgres(_bi(tmp_path / "bi.duckdb", 1, ["A", "B"]), postgres_url)
    dbname = psycopg.conninfo.conninfo_to_dict(postgres_url)["dbname"]
    postgres_cluster.sql("create schema analys", dbname=dbname)
    postgres_cluster.sql(
        "create view analys.egen as select forbund, count(*) from marts.genomflode group by 1", dbname=dbname
    )
    with pytest.raises(
        PostgresPublishError,
        match=r"DependentObjectsStillExist.*view analys\.egen depends on table marts_old\.genomflode",
    ):
        publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A", "B"]), postgres_url)
    assert _generation(postgres_url) == (1, 20)
    assert postgres_cluster.sql("select count(*) from analys.egen", dbname=dbname) == [(2,)]
    with psycopg.connect(postgres_url) as con:
        assert _rows(con, "select nspname from pg_namespace where nspname like 'marts%'") == [("marts",)]


def test_two_publishes_to_one_database_never_interleave(tmp_path, postgres_url):
    publish_postgres(_bi(tmp_path / "bi.duckdb", 1, ["A"]), postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as other:  # another installation's publish, mid-way
        other.execute("select pg_advisory_lock(hashtext(%s))", [pg_publish.PUBLISH_LOCK_KEY])
        with pytest.raises(PostgresPublishError, match="another publish to this database is running"):
            publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A"]), postgres_url)
    assert _generation(postgres_url) == (1, 10)
    publish_postgres(_bi(tmp_path / "bi.duckdb", 2, ["A"]), postgres_url)
    assert _generation(postgres_url) == (2, 20)
