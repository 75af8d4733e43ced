"""The nightly scope (pipelines/nightly_scope.py): when a refresh may rebuild only what a night
can have changed, and which förbund that is."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from pipelines.nightly_scope import (
    Scope,
    changes_since,
    decide_scope,
    latest_build,
    latest_build_id,
    per_forbund_kinds,
    record_build,
    upgrade_state,
    write_scope,
)

AS_OF = dt.date(2026, 10, 31)
FINGERPRINT = "project-v1"


def _add_file(con: duckdb.DuckDBPyConnection, kind: str, sha: str, forbund: list[str | None]) -> None:
    con.execute("insert into raw._file_ledger values (?, ?, ?, 'loaded')", [sha, kind, f"{kind}_{sha}.csv"])
    if kind not in {
        r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()
    }:
        con.execute(f"create table raw.{kind} (forbund varchar, _sha256 varchar)")
    con.execute(f"insert into raw.{kind} select unnest(?::varchar[]), ?", [forbund, sha])


@pytest.fixture()
def con():
    """A warehouse with one SUS export and one Pro Capita export, built once at AS_OF."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw._file_ledger (sha256 varchar, kind varchar, file_name varchar, status varchar)")
    _add_file(con, "sus_deltagare", "a1", ["Förbund A", "Förbund A"])
    _add_file(con, "procapita_narvaro", "p1", [None])
    files = [r[0] for r in con.execute("select sha256 from raw._file_ledger").fetchall()]
    record_build(con, AS_OF, FINGERPRINT, files, Scope(full=True, reason="first"))
    yield con
    con.close()


def test_a_warehouse_never_built_is_built_in_full():
    con = duckdb.connect()
    assert decide_scope(con, AS_OF, FINGERPRINT).full


def test_the_next_day_without_new_files_recomputes_open_periods_only(con):
    scope = decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT)
    assert not scope.full
    assert scope.since_as_of == AS_OF
    assert scope.forbund == ()


def test_a_new_sus_export_puts_its_own_forbund_in_scope(con):
    _add_file(con, "sus_deltagare", "b1", ["Förbund B", "Förbund B", "Förbund C"])
    scope = decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT)
    assert not scope.full
    assert scope.forbund == ("Förbund B", "Förbund C")


def test_a_new_file_without_forbund_column_means_a_full_build(con):
    _add_file(con, "procapita_narvaro", "p2", [None])
    scope = decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT)
    assert scope.full
    assert "procapita_narvaro" in scope.reason


def test_a_new_insats_register_means_a_full_build(con):
    assert "insatser" not in per_forbund_kinds()
    _add_file(con, "insatser", "i2", ["Förbund A"])
    assert decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT).full


def test_the_ledger_replaces_whole_months_so_a_new_one_means_a_full_build(con):
    assert "ledger" not in per_forbund_kinds()
    _add_file(con, "ledger", "l2", ["Förbund A"])
    assert decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT).full


def test_a_changed_dbt_project_means_a_full_build(con):
    assert decide_scope(con, AS_OF + dt.timedelta(days=1), "project-v2").full


def test_as_of_moving_back_means_a_full_build(con):
    assert decide_scope(con, AS_OF - dt.timedelta(days=1), FINGERPRINT).full


def test_force_means_a_full_build(con):
    assert decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT, force=True).full


def test_the_scope_tables_hold_the_decision_and_a_full_build_leaves_none(con):
    _add_file(con, "sus_deltagare", "b1", ["Förbund O'Hara"])
    write_scope(con, decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT))
    assert con.execute("select since_as_of from pipeline_state.nightly_scope").fetchall() == [(AS_OF,)]
    assert con.execute("select forbund from pipeline_state.nightly_scope_forbund").fetchall() == [("Förbund O'Hara",)]
    write_scope(con, decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT, force=True))
    tables = {
        r[0]
        for r in con.execute("select table_name from duckdb_tables() where schema_name = 'pipeline_state'").fetchall()
    }
    assert tables == {"builds", "last_build_files"}


def test_a_recorded_build_is_what_the_next_refresh_compares_with(con):
    _add_file(con, "sus_deltagare", "b1", ["Förbund B"])
    files = [r[0] for r in con.execute("select sha256 from raw._file_ledger").fetchall()]
    night = decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT)
    first = latest_build(con)[0]
    assert record_build(con, AS_OF + dt.timedelta(days=1), FINGERPRINT, files, night) == first + 1
    assert changes_since(con, first).forbund == ("Förbund B",)
    scope = decide_scope(con, AS_OF + dt.timedelta(days=2), FINGERPRINT)
    assert (scope.full, scope.since_as_of, scope.forbund) == (False, AS_OF + dt.timedelta(days=1), ())


def _night(con: duckdb.DuckDBPyConnection, days: int, new_forbund: list[str]) -> int:
    if new_forbund:
        _add_file(con, "sus_deltagare", f"n{days}", new_forbund)
    files = [r[0] for r in con.execute("select sha256 from raw._file_ledger").fetchall()]
    as_of = AS_OF + dt.timedelta(days=days)
    return record_build(con, as_of, FINGERPRINT, files, decide_scope(con, as_of, FINGERPRINT))


def test_changes_since_the_last_publish_join_every_later_night(con):
    published = latest_build(con)[0]
    _night(con, 1, ["Förbund B"])
    _night(con, 2, ["Förbund C"])
    changes = changes_since(con, published)
    assert (changes.full, changes.since_as_of, changes.forbund) == (False, AS_OF, ("Förbund B", "Förbund C"))


def test_nothing_built_since_the_publish_means_no_changes(con):
    changes = changes_since(con, latest_build(con)[0])
    assert (changes.full, changes.forbund) == (False, ())


def test_changes_are_full_when_a_later_build_was_or_nothing_was_published(con):
    published = latest_build(con)[0]
    _add_file(con, "procapita_narvaro", "p2", [None])
    _night(con, 1, [])
    assert changes_since(con, published).full
    assert changes_since(con, None).full
    assert changes_since(con, 999).full


def test_a_build_of_some_models_is_no_baseline_but_publishes_everything_again(con):
    published = latest_build(con)[0]
    files = [r[0] for r in con.execute("select sha256 from raw._file_ledger").fetchall()]
    night = decide_scope(con, AS_OF + dt.timedelta(days=3), FINGERPRINT)
    record_build(con, AS_OF + dt.timedelta(days=3), FINGERPRINT, files, night, whole=False)
    assert latest_build(con)[0] == published  # the next build still compares with the whole one
    assert decide_scope(con, AS_OF + dt.timedelta(days=4), FINGERPRINT).since_as_of == AS_OF
    assert changes_since(con, published).full


def test_a_warehouse_an_earlier_version_built_keeps_its_builds_after_the_upgrade():
    # the state an earlier version left: `builds` without `whole`, every build a whole one
    con = duckdb.connect()
    con.execute("create schema pipeline_state")
    con.execute(
        "create table pipeline_state.builds (build_id integer primary key, as_of date not null, "
        "project_fingerprint varchar not null, built_at timestamp not null, rebuilt_in_full boolean not null, "
        "since_as_of date, forbund varchar[])"
    )
    con.execute("insert into pipeline_state.builds values (7, ?, ?, now(), true, null, [])", [AS_OF, FINGERPRINT])
    con.execute("create table pipeline_state.last_build_files (sha256 varchar not null)")
    con.execute("create schema raw")
    con.execute("create table raw._file_ledger (sha256 varchar, kind varchar, file_name varchar, status varchar)")
    upgrade_state(con)
    upgrade_state(con)  # a second refresh finds it upgraded
    assert latest_build(con) == (7, AS_OF, FINGERPRINT)
    night = decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT)
    assert (night.full, night.since_as_of) == (False, AS_OF)
    assert record_build(con, AS_OF + dt.timedelta(days=1), FINGERPRINT, [], night) == 8


def test_the_published_build_is_the_last_one_also_of_some_models_and_read_from_an_attached_warehouse(con, tmp_path):
    files = [r[0] for r in con.execute("select sha256 from raw._file_ledger").fetchall()]
    night = decide_scope(con, AS_OF + dt.timedelta(days=1), FINGERPRINT)
    some = record_build(con, AS_OF + dt.timedelta(days=1), FINGERPRINT, files, night, whole=False)
    assert latest_build_id(con) == some != latest_build(con)[0]
    con.execute(f"attach '{tmp_path / 'wh.duckdb'}' as wh")
    assert latest_build_id(con, "wh") is None  # a warehouse never built
    con.execute("create schema wh.pipeline_state")
    con.execute("create table wh.pipeline_state.builds as select 7 as build_id")
    assert latest_build_id(con, "wh") == 7
    assert latest_build_id(con) == some


def _upstream_sources(manifest: dict, unique_id: str) -> set[str]:
    """The raw kinds (source table names) a node reads, through any models between."""
    node = manifest["nodes"][unique_id]
    kinds: set[str] = set()
    for parent in node["depends_on"]["nodes"]:
        if parent.startswith("source."):
            kinds.add(manifest["sources"][parent]["name"])
        elif parent.startswith("model."):
            kinds |= _upstream_sources(manifest, parent)
    return kinds


def test_staging_views_state_the_night_scope_their_sources_have() -> None:
    """A staging view that says which of its rows a night can change (so its tests check only
    those) must say what pipelines/sources/<kind>.yml implies: {'forbund': 'forbund'} only over
    kinds whose new file replaces its own förbund's rows, {'forbund': None} only over kinds whose
    new file makes the build full. A kind changing its replace_by fails here, not silently."""
    from pipelines.dbt_project import ensure_manifest

    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    per_forbund = per_forbund_kinds()
    declared = {
        n["name"]: (n["config"]["nightly_scope"], _upstream_sources(manifest, uid))
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model"
        and n["schema"] == "staging"
        and n["config"].get("materialized") == "view"
        and n["config"].get("nightly_scope") is not None
    }
    assert {"stg_sus__deltagare", "stg_forbund__insatser"} <= set(declared)
    for name, (scope, kinds) in declared.items():
        assert kinds, name
        if scope.get("forbund"):
            assert kinds <= per_forbund, (name, kinds - per_forbund)
        else:
            assert not kinds & per_forbund, (name, kinds & per_forbund)
