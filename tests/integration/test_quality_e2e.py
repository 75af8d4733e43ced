"""A failing blocking check stops publish, end to end (`finsam refresh` as a user runs it).

Two refreshes:
1. the demo exports → published, every quality check ran, data docs built (the session's
   shared refresh, tests/integration/conftest.py);
2. on a copy of that data dir, plus a newer Malmö SUS export that is the old one with one extra episode for a person who is
   already enrolled in the same insats (overlapping dates). Every file passes ingest and its
   suite; the cross-file rule `overlappande_episoder` fails → exit 1, the check, its asset and
   the offending pseudonym in the output, and bi.duckdb and the Parquet copies byte-identical.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
from pathlib import Path

import duckdb
import pytest
from cli_refresh import run_refresh_cli


def _published_bytes(data: Path) -> dict[str, str]:
    """SHA-256 of bi.duckdb and of every Parquet file, plus where the bi/ link points."""
    out = {"bi.duckdb": hashlib.sha256((data / "bi.duckdb").read_bytes()).hexdigest()}
    out["bi -> "] = os.readlink(data / "bi") if (data / "bi").is_symlink() else ""
    for p in sorted((data / "bi").resolve().glob("*.parquet")):
        out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _overlapping_export(landing: Path) -> tuple[str, bytes, str]:
    """The newest Malmö export again, one day later, with one extra episode starting a week after
    an ongoing one of the same person and insats. Returns (file name, bytes, personnummer)."""
    malmo = sorted(landing.glob("sus_deltagare_malmo_*.csv"))[-1]
    file_day = dt.date.fromisoformat(re.search(r"(\d{4}-\d{2}-\d{2})", malmo.name).group(1))
    text = malmo.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    col = {h: i for i, h in enumerate(header)}
    start_of = lambda r: dt.date.fromisoformat(r[col["Startdatum"]])  # noqa: E731 - a one-line helper for this test
    ongoing = next(r for r in body if r and not r[col["Slutdatum"]] and start_of(r) < file_day - dt.timedelta(days=60))
    extra = list(ongoing)
    extra[col["Startdatum"]] = (start_of(ongoing) + dt.timedelta(days=7)).isoformat()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *body, extra])
    name = f"sus_deltagare_malmo_{(file_day + dt.timedelta(days=1)).isoformat()}.csv"
    return name, ("\ufeff" + buffer.getvalue()).encode("utf-8"), ongoing[col["Personnummer"]]


@pytest.fixture(scope="module")
def run(demo_refresh, tmp_path_factory):
    data = demo_refresh.copy_to(tmp_path_factory.mktemp("quality_e2e") / "data")
    before = _published_bytes(data)
    name, payload, personnummer = _overlapping_export(data / "landing")
    (data / "landing" / name).write_bytes(payload)
    second = run_refresh_cli(data)
    return {
        "shared": demo_refresh.data,
        "data": data,
        "first": demo_refresh.first,
        "second": second,
        "before": before,
        "name": name,
        "personnummer": personnummer,
    }


def test_first_refresh_runs_every_check_and_publishes(run):
    first = run["first"]
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    m = re.search(r"Data quality: (\d+) checks ran: (\d+) passed, (\d+) warned, (\d+) failed", first.stdout)
    assert m, first.stdout[-3000:]
    ran, passed, warned, failed = map(int, m.groups())
    assert ran > 300 and failed == 0 and passed + warned == ran
    assert "file suites: " in first.stdout
    docs = run["shared"] / "validation" / "docs" / "index.html"
    assert docs.exists() and f"data docs {docs}" in first.stdout
    assert "marts_genomflode" in docs.read_text(encoding="utf-8")


def test_overlapping_episodes_stop_publish_and_name_the_check(run):
    second, data = run["second"], run["data"]
    out = second.stdout
    assert second.returncode == 1, out[-4000:] + second.stderr[-4000:]
    assert "FAILED check overlappande_episoder on marts/genomflode" in out, out[-4000:]
    assert "Result: FAILED (exit code 1)" in out
    # The sample names the person by pseudonym and the export by name, never by personnummer.
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        pseudonyms = [
            r[0]
            for r in con.execute(
                "select distinct person_id from raw.sus_deltagare where _source_file = ? "
                "group by person_id, insats_id having count(*) > 1 and count(distinct startdatum) > 1",
                [run["name"]],
            ).fetchall()
        ]
    assert any(p[:16] in out for p in pseudonyms), out[-4000:]
    assert run["name"] in out
    assert run["personnummer"] not in out and run["personnummer"].replace("-", "") not in out
    # The file itself was fine: loaded, not quarantined.
    assert not (data / "quarantine" / run["name"]).exists()


def test_bi_duckdb_and_parquet_stay_byte_identical(run):
    assert run["before"], "the first refresh did not publish"
    assert _published_bytes(run["data"]) == run["before"]


def test_data_docs_show_the_run_that_failed(run):
    index = run["data"] / "validation" / "docs" / "index.html"
    assert index.exists()
    assert f"data docs {index}" in run["second"].stdout
