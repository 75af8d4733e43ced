"""ingest_kind appends a file's rows while its quality suite still runs (load.py, step 4): the
rows must only ever be committed with a passed suite and their ledger row."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import ingest_kind
from pipelines.ingest import load as load_mod
from pipelines.quality.runtime import INDEX_LOG
from pipelines.settings import get_settings

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


def test_small_files_are_checked_together_and_each_loaded_or_quarantined_on_its_own(dirs, duplicated_sus):
    """Small files of one export date share one GX run (load.py, step 2); a file that breaks its
    suite is still quarantined alone, and the others load, each with its own ledger row."""
    landing, quarantine = dirs
    shutil.copy(SAMPLES / "sus_deltagare_avesta_2019-01-31.csv", landing / "sus_deltagare_avesta_2020-01-15.csv")
    shutil.copy(SAMPLES / "sus_deltagare_malmo_2020-01-15.csv", landing)
    duplicated_sus(landing, "sus_deltagare_lund_2020-01-15.csv")
    with duckdb.connect(":memory:") as con:
        report = ingest_kind(con, "sus_deltagare", landing, quarantine, KEY, REFRESH, None)
        assert [q.file_name for q in report.quarantined] == ["sus_deltagare_lund_2020-01-15.csv"]
        loaded = ["sus_deltagare_avesta_2020-01-15.csv", "sus_deltagare_malmo_2020-01-15.csv"]
        assert sorted(f.file_name for f in report.loaded) == loaded
        files = con.execute("select _source_file, count(*) from raw.sus_deltagare group by 1 order by 1").fetchall()
        assert [name for name, _ in files] == loaded
        assert dict(files) == {f.file_name: f.rows for f in report.loaded}
        assert sorted((n, s) for n, s, _ in _ledger(con)) == [
            ("sus_deltagare_avesta_2020-01-15.csv", "loaded"),
            ("sus_deltagare_lund_2020-01-15.csv", "quarantined"),
            ("sus_deltagare_malmo_2020-01-15.csv", "loaded"),
        ]
    index = get_settings().validation_dir / INDEX_LOG
    lines = [json.loads(x) for x in index.read_text(encoding="utf-8").splitlines()]
    joint = {x["subject"]: x.get("run") for x in lines if x["ok"]}
    assert set(joint) == set(loaded) and len(set(joint.values())) == 1 and None not in joint.values()
    assert [x["subject"] for x in lines if not x["ok"]] == ["sus_deltagare_lund_2020-01-15.csv"]
    assert (quarantine / "sus_deltagare_lund_2020-01-15.csv").exists()
