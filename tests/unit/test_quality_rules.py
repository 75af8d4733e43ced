"""The cross-file rules (pipelines/quality/rules/*.sql) on a tiny warehouse: each finds what it
must, names pseudonymous keys and source files, and passes on clean data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.quality.checks import load_rules, rule_check_result, run_rule

RULES = {r.name: r for r in load_rules()}
P1, P2 = "a" * 64, "b" * 64
D = dt.date


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("create schema staging; create schema marts")
    connection.execute("""
        create table staging.stg_sus__deltagare (
            deltagande_id varchar, forbund varchar, insats_id varchar, person_id varchar,
            fodelsedatum date, startdatum date, slutdatum date, _source_file varchar, _row_number bigint);
        create table staging.stg_forbund__insatser (forbund varchar, insats_id varchar);
        create table staging.stg_forbund__stegmatning (
            person_id varchar, insats_id varchar, startdatum date, mattillfalle varchar, _source_file varchar);
        create table staging.stg_procapita__aktiviteter (
            person_id varchar, aktivitet varchar, insats_id varchar, startdatum date, _source_file varchar);
        create table staging.stg_ekonomi__ledger (
            forbund varchar, insats_id varchar, ar integer, ar_kostnad boolean, belopp double, _source_file varchar);
        create table staging.stg_ekonomi__budget (forbund varchar, insats_id varchar, ar integer, belopp double, _source_file varchar);
        create table staging.stg_sus__anonyma (ar integer, forbund varchar, insats_id varchar, kvinnor integer, man integer, _source_file varchar);
        create table marts.dim_insats (forbund varchar, insats_id varchar, arsplatser double);
        create table marts.genomflode (
            forbund varchar, insats_id varchar, period_typ varchar, period_id varchar, kon varchar,
            inskrivna_vid_periodslut bigint);
        insert into staging.stg_forbund__insatser values ('F', 'I'), ('F', 'J');
        insert into marts.dim_insats values ('F', 'I', 10), ('F', 'J', null);
    """)
    yield connection
    connection.close()


def episodes(con, *rows):
    for i, (person, start, end) in enumerate(rows):
        con.execute(
            "insert into staging.stg_sus__deltagare values (?, 'F', 'I', ?, date '1980-01-01', ?, ?, 'sus_deltagare_f.csv', ?)",
            [f"e{i}", person, start, end, i + 2],
        )


def test_every_rule_guards_a_mart_and_says_why():
    assert set(RULES) == {
        "overlappande_episoder",
        "deltagande_utan_registrerad_insats",
        "stegmatning_utan_registrerad_insats",
        "aktivitet_utan_registrerad_insats",
        "ekonomi_utan_registrerad_insats",
        "stegmatning_utan_episod",
        "kostnad_utan_budget",
        "inskrivna_over_dubbla_arsplatser",
    }
    for r in RULES.values():
        assert r.asset_key.path[0] == "marts" and r.why and r.reads
    blocking = {n for n, r in RULES.items() if r.blocking}
    assert blocking == {
        "overlappande_episoder",
        "deltagande_utan_registrerad_insats",
        "stegmatning_utan_registrerad_insats",
        "aktivitet_utan_registrerad_insats",
        "ekonomi_utan_registrerad_insats",
    }


def test_overlapping_episodes_are_found_and_named(con):
    episodes(
        con,
        (P1, D(2022, 1, 1), D(2022, 6, 30)),
        (P1, D(2022, 6, 1), None),  # overlaps the first
        (P2, D(2022, 1, 1), D(2022, 3, 31)),
        (P2, D(2022, 4, 1), None),  # starts the day after: fine
    )
    o = run_rule(con, RULES["overlappande_episoder"])
    assert o.count == 1
    row = o.sample[0]
    assert row["person_id"] == P1 and row["startdatum_1"] == D(2022, 1, 1) and row["startdatum_2"] == D(2022, 6, 1)
    assert o.files == ["sus_deltagare_f.csv"]
    result = rule_check_result(o)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.check_name == "overlappande_episoder" and result.asset_key == dg.AssetKey(["marts", "genomflode"])
    assert "fodelsedatum" not in result.metadata["sample"].value
    assert result.metadata["source_files"].value == ["sus_deltagare_f.csv"]


def test_a_start_on_the_day_another_ends_is_an_overlap_and_open_episodes_overlap(con):
    episodes(
        con,
        (P1, D(2022, 1, 1), D(2022, 3, 31)),
        (P1, D(2022, 3, 31), None),
        (P2, D(2022, 1, 1), None),
        (P2, D(2023, 1, 1), None),
    )
    assert run_rule(con, RULES["overlappande_episoder"]).count == 2


def test_no_overlap_passes(con):
    episodes(con, (P1, D(2022, 1, 1), D(2022, 3, 31)), (P1, D(2022, 5, 1), None), (P2, D(2022, 1, 1), None))
    o = run_rule(con, RULES["overlappande_episoder"])
    assert o.count == 0 and rule_check_result(o).passed


def test_step_measurement_and_activity_naming_no_registered_insats(con):
    con.execute(
        "insert into staging.stg_forbund__stegmatning values "
        "(?, 'I', date '2022-01-01', 'Start', 's.csv'), (?, 'X', date '2022-01-01', 'Start', 's.csv')",
        [P1, P2],
    )
    con.execute(
        "insert into staging.stg_procapita__aktiviteter values "
        "(?, 'Arbetsträning', null, date '2022-01-01', 'a.csv'), (?, 'Arbetsträning', 'Y', date '2022-01-01', 'a.csv')",
        [P1, P2],
    )
    steg = run_rule(con, RULES["stegmatning_utan_registrerad_insats"])
    akt = run_rule(con, RULES["aktivitet_utan_registrerad_insats"])
    assert (steg.count, steg.sample[0]["insats_id"], steg.sample[0]["person_id"], steg.files) == (1, "X", P2, ["s.csv"])
    assert (akt.count, akt.sample[0]["insats_id"], akt.files) == (1, "Y", ["a.csv"])  # no Insats-ID is fine


def test_episode_of_an_insats_its_forbund_no_longer_registers(con):
    episodes(con, (P1, D(2022, 1, 1), None))
    con.execute(
        "insert into staging.stg_sus__deltagare values ('e9', 'G', 'I', ?, date '1980-01-01', date '2022-02-01', null, 'sus_deltagare_g.csv', 7)",
        [P2],
    )
    o = run_rule(con, RULES["deltagande_utan_registrerad_insats"])
    # I is registered by F only, so G's episode of I is the one without an insats
    assert (o.count, o.sample[0]["forbund"], o.sample[0]["person_id"], o.sample[0]["rad"], o.files) == (
        1,
        "G",
        P2,
        7,
        ["sus_deltagare_g.csv"],
    )
    assert rule_check_result(o).severity == dg.AssetCheckSeverity.ERROR
    con.execute(
        "insert into staging.stg_sus__anonyma values (2022, 'F', 'I', 1, 0, 'a.csv'), (2022, 'F', 'X', 0, 2, 'a.csv')"
    )
    o = run_rule(con, RULES["deltagande_utan_registrerad_insats"])
    assert [(r["kalla"], r["forbund"], r["insats_id"]) for r in o.sample] == [
        ("sus_anonyma", "F", "X"),
        ("sus_deltagare", "G", "I"),
    ]


def test_step_measurement_naming_no_episode_warns(con):
    episodes(con, (P1, D(2022, 1, 1), None))
    con.execute(
        "insert into staging.stg_forbund__stegmatning values "
        "(?, 'I', date '2022-01-01', 'Start', 's.csv'), (?, 'I', date '2022-01-02', 'Avslut', 't.csv')",
        [P1, P1],
    )
    o = run_rule(con, RULES["stegmatning_utan_episod"])
    # the second row's start date is a day off: it names no episode
    assert (o.count, o.sample[0]["startdatum"], o.sample[0]["mattillfalle"], o.files) == (
        1,
        D(2022, 1, 2),
        "Avslut",
        ["t.csv"],
    )
    result = rule_check_result(o)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN


def test_budget_and_cost_on_an_unregistered_insats(con):
    con.execute("""
        insert into staging.stg_ekonomi__budget values ('F', 'I', 2022, 100, 'b.csv'), ('F', '(förbund)', 2022, 5, 'b.csv'),
            ('F', 'Z', 2022, 7, 'b.csv');
        insert into staging.stg_ekonomi__ledger values ('F', 'I', 2022, true, 50, 'l.csv'), ('F', '(förbund)', 2022, true, 1, 'l.csv'),
            (null, 'Q', 2023, true, 3, 'l.csv');
    """)
    o = run_rule(con, RULES["ekonomi_utan_registrerad_insats"])
    assert [(r["kalla"], r["insats_id"], r["ar"], r["fil"]) for r in o.sample] == [
        ("budget", "Z", 2022, "b.csv"),
        ("ledger", "Q", 2023, "l.csv"),
    ]
    assert o.files == ["b.csv", "l.csv"] and rule_check_result(o).passed is False


def test_cost_without_budget_warns(con):
    con.execute("""
        insert into staging.stg_ekonomi__budget values ('F', 'I', 2022, 100, 'b.csv');
        insert into staging.stg_ekonomi__ledger values
            ('F', 'I', 2022, true, 50, 'l.csv'), ('F', 'I', 2023, true, 70, 'l.csv'),
            ('F', '(förbund)', 2023, true, 10, 'l.csv'), ('F', 'J', 2022, false, -20, 'l.csv');
    """)
    o = run_rule(con, RULES["kostnad_utan_budget"])
    assert [(r["insats_id"], r["ar"], r["kostnad"]) for r in o.sample] == [("I", 2023, 70.0)]
    result = rule_check_result(o)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN


def test_more_enrolled_than_twice_the_places_warns(con):
    con.execute("""
        insert into marts.genomflode values
            ('F', 'I', 'manad', '2022-01', 'Kvinna', 12), ('F', 'I', 'manad', '2022-01', 'Man', 9),
            ('F', 'I', 'manad', '2022-02', 'Kvinna', 10), ('F', 'I', 'ar', '2022', 'Kvinna', 99),
            ('F', 'J', 'manad', '2022-01', 'Kvinna', 500);
    """)
    o = run_rule(con, RULES["inskrivna_over_dubbla_arsplatser"])
    assert [(r["insats_id"], r["period_id"], r["inskrivna_vid_periodslut"]) for r in o.sample] == [("I", "2022-01", 21)]
    assert rule_check_result(o).severity == dg.AssetCheckSeverity.WARN
