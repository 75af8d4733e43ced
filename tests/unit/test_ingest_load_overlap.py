"""ingest_kind appends a file's rows while its quality suite still runs (load.py, step 4): the
rows must only ever be committed with a passed suite and their ledger row."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import ingest_kind
from pipelines.ingest import load as load_mod

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
REFRESH = dt.date(2026, 11, 23)
KEY = b"overlap-test-key"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def dirs(tmp_path):
    landing, quarantine = tmp_path / "landing", tmp_path / "quarantine"
    landing.mkdir()
    return landing, quarantine


def _ledger(con):
    return con.execute("select file_name, status, rows from raw._file_ledger order by file_name").fetchall()


def _duplicated_sus(landing: Path, name: str) -> None:
    """A SUS export the parser accepts and the suite rejects (the first episode twice)."""
    text = (SAMPLES / "sus_deltagare_malmo_2020-01-15.csv").read_bytes().decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    (landing / name).write_text(newline.join([lines[0], lines[1], *lines[1:]]), encoding="utf-8")


def test_rows_of_a_file_the_suite_rejects_are_rolled_back_and_the_next_file_loads(dirs):
    landing, quarantine = dirs
    _duplicated_sus(landing, "sus_deltagare_malmo_2020-01-14.csv")  # older: ingested first
    shutil.copy(SAMPLES / "sus_deltagare_malmo_2020-01-15.csv", landing)
    with duckdb.connect(":memory:") as con:
        report = ingest_kind(con, "sus_deltagare", landing, quarantine, KEY, REFRESH, {"AC-MALMO"})
        assert [q.file_name for q in report.quarantined] == ["sus_deltagare_malmo_2020-01-14.csv"]
        assert [f.file_name for f in report.loaded] == ["sus_deltagare_malmo_2020-01-15.csv"]
        files = con.execute("select distinct _source_file from raw.sus_deltagare").fetchall()
        assert files == [("sus_deltagare_malmo_2020-01-15.csv",)]
        assert [(n, s) for n, s, _ in _ledger(con)] == [
            ("sus_deltagare_malmo_2020-01-14.csv", "quarantined"),
            ("sus_deltagare_malmo_2020-01-15.csv", "loaded"),
        ]


def test_an_error_inside_the_suite_leaves_nothing_behind(dirs, monkeypatch):
    landing, quarantine = dirs
    shutil.copy(SAMPLES / "budget_2018.csv", landing)

    def broken(*args, **kwargs):
        raise RuntimeError("validation store unavailable")

    monkeypatch.setattr(load_mod, "check_parsed_file", broken)
    with duckdb.connect(":memory:") as con:
        with pytest.raises(RuntimeError, match="validation store unavailable"):
            ingest_kind(con, "budget", landing, quarantine, KEY, REFRESH, None)
        assert con.execute("select count(*) from raw.budget").fetchone()[0] == 0
        assert _ledger(con) == []
    assert (landing / "budget_2018.csv").exists() and not quarantine.exists()
