"""The inputs fingerprint decides whether a refresh may skip dbt and publish: it must change
with every input of the marts and with nothing else."""

import dataclasses
import datetime as dt

import duckdb
import pytest

from pipelines import fingerprint
from pipelines.fingerprint import inputs_fingerprint
from pipelines.publish_record import record_postgres_published, record_published
from pipelines.settings import Settings
from pipelines.transform.inputs import unchanged_since_publish


@pytest.fixture()
def settings(tmp_path) -> Settings:
    s = Settings(
        landing_dir=tmp_path / "landing",
        data_dir=tmp_path,
        as_of=dt.date(2026, 10, 31),
        pseudonym_key=b"k",
        using_demo_key=True,
        suppression_threshold=3,
    )
    with duckdb.connect(str(s.warehouse_path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw._file_ledger (sha256 varchar, kind varchar, file_name varchar, status varchar)")
        con.execute("insert into raw._file_ledger values ('a1', 'ledger', 'ledger_2026-11-02.csv', 'loaded')")
    return s


def _ledger(s: Settings, sql: str) -> None:
    with duckdb.connect(str(s.warehouse_path)) as con:
        con.execute(sql)


def test_same_inputs_same_fingerprint(settings):
    assert inputs_fingerprint(settings) == inputs_fingerprint(settings)


def test_a_newly_loaded_file_changes_it_a_quarantined_one_does_not(settings):
    before = inputs_fingerprint(settings)
    _ledger(settings, "insert into raw._file_ledger values ('b2', 'budget', 'budget_2026.csv', 'quarantined')")
    assert inputs_fingerprint(settings) == before
    _ledger(settings, "insert into raw._file_ledger values ('c3', 'budget', 'budget_2026.csv', 'loaded')")
    assert inputs_fingerprint(settings) != before


def test_as_of_changes_it(settings):
    assert inputs_fingerprint(settings) != inputs_fingerprint(dataclasses.replace(settings, as_of=dt.date(2026, 11, 1)))


def test_a_changed_model_changes_it(settings, tmp_path, monkeypatch):
    model = tmp_path / "models" / "genomflode.sql"
    model.parent.mkdir()
    model.write_text("select 1")
    monkeypatch.setattr(fingerprint, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(fingerprint, "CODE_INPUTS", (tmp_path / "models",))
    before = inputs_fingerprint(settings)
    model.write_text("select 2")
    assert inputs_fingerprint(settings) != before


def test_unchanged_only_with_the_same_fingerprint_a_bi_file_and_no_force(settings):
    fingerprint = inputs_fingerprint(settings)
    assert unchanged_since_publish(settings, fingerprint) is None  # never published
    record_published(settings, fingerprint, "2026-11-02T04:31:00+01:00")
    assert unchanged_since_publish(settings, fingerprint) is None  # no bi.duckdb
    settings.bi_path.write_bytes(b"published")
    assert unchanged_since_publish(settings, fingerprint)["published_at"] == "2026-11-02T04:31:00+01:00"
    assert unchanged_since_publish(settings, "other") is None
    assert unchanged_since_publish(dataclasses.replace(settings, force_rebuild=True), fingerprint) is None


def test_nothing_to_refresh_needs_no_new_landing_file(settings):
    from pipelines.transform.inputs import nothing_to_refresh

    settings.landing_dir.mkdir()
    assert nothing_to_refresh(settings) is None  # never published
    record_published(settings, inputs_fingerprint(settings), "2026-11-02T04:31:00+01:00")
    settings.bi_path.write_bytes(b"published")
    assert nothing_to_refresh(settings)["published_at"] == "2026-11-02T04:31:00+01:00"
    (settings.landing_dir / "ledger_2026-11-03.csv").write_text("new")  # not in the ledger
    assert nothing_to_refresh(settings) is None
    assert nothing_to_refresh(dataclasses.replace(settings, force_rebuild=True)) is None


def test_the_dbt_docs_fingerprint_follows_the_dbt_project_alone(tmp_path, monkeypatch):
    model = tmp_path / "models" / "genomflode.sql"
    model.parent.mkdir()
    model.write_text("select 1")
    suite = tmp_path / "expectations" / "marts_genomflode.json"
    suite.parent.mkdir()
    suite.write_text("{}")
    monkeypatch.setattr(fingerprint, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(fingerprint, "DBT_INPUTS", (tmp_path / "models",))
    monkeypatch.setattr(fingerprint, "CODE_INPUTS", (tmp_path / "models", tmp_path / "expectations"))
    before = fingerprint.dbt_project_fingerprint()
    suite.write_text('{"expectations": []}')
    assert fingerprint.dbt_project_fingerprint() == before
    model.write_text("select 2")
    assert fingerprint.dbt_project_fingerprint() != before


def test_with_postgresql_unchanged_only_when_that_database_got_this_publish(settings):
    settings.bi_path.write_bytes(b"")
    fp = inputs_fingerprint(settings)
    record_published(settings, fp, "2026-11-01T05:00:00+01:00")
    with_pg = dataclasses.replace(settings, postgres_url="postgresql://finsam:secret@db.example.se:5433/finsam")
    assert unchanged_since_publish(settings, fp) is not None
    assert unchanged_since_publish(with_pg, fp) is None  # never published there
    record_postgres_published(with_pg, "db.example.se:5433/finsam", fp)
    assert unchanged_since_publish(with_pg, fp)["postgres"] == {
        "target": "db.example.se:5433/finsam",
        "fingerprint": fp,
    }
    other_db = dataclasses.replace(settings, postgres_url="postgresql://finsam@db.example.se:5433/annan")
    assert unchanged_since_publish(other_db, fp) is None
    record_published(settings, fp, "2026-11-02T05:00:00+01:00")  # a new publish, its PostgreSQL load failed
    assert unchanged_since_publish(with_pg, fp) is None
