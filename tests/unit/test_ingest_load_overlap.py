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


pytestmark = pytest.mark.usefixtures("isolated_data_dir")


def _ledger(con):
    return con.execute("select file_name, status, rows from raw._file_ledger order by file_name").fetchall()


def test_rows_of_a_file_the_suite_rejects_are_rolled_back_and_the_next_file_loads(dirs, duplicated_sus):
    landing, quarantine = dirs
    duplicated_sus(landing, "sus_deltagare_malmo_2020-01-14.csv")  # older: ingested first
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
