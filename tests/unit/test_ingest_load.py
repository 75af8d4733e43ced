"""ingest_kind end to end: raw tables, file ledger, quarantine, idempotence, no personnummer."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import IngestReport, discovery, ingest_kind, load_specs, registered_insats_ids
from pipelines.ingest.discovery import sha256_file
from pipelines.ingest.load import LEDGER_COLUMNS, LEDGER_TABLE, files_to_ingest
from pipelines.ingest.personnummer import pseudonym

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SPECS = load_specs()
REFRESH = dt.date(2026, 11, 23)
KEY = b"load-test-key"
EXPECTED_ROWS = {
    "insatser": 3,
    "budget": 5,
    "finansiering": 5,
    "ledger": 6,
    "procapita_aktiviteter": 6,
    "procapita_ekonomiskt_bistand": 6,
    "procapita_narvaro": 6,
    "stegmatning": 6,
    "sus_anonyma": 2,
    "sus_deltagare": 18,
}
PNR_LIKE = r"(^|[^0-9])([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}([^0-9]|$)"


# Anything ingest writes under the data dir (e.g. quality results) goes to a temp dir.
pytestmark = pytest.mark.usefixtures("isolated_data_dir")


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


def copy_samples(landing: Path) -> None:
    for path in SAMPLES.iterdir():
        shutil.copy(path, landing / path.name)


def ingest_all(con, landing, quarantine, key=KEY) -> dict[str, IngestReport]:
    reports = {"insatser": ingest_kind(con, "insatser", landing, quarantine, key, REFRESH, None)}
    registered = registered_insats_ids(con)
    for kind in SPECS:
        if kind != "insatser":
            reports[kind] = ingest_kind(con, kind, landing, quarantine, key, REFRESH, registered)
    return reports


def count(con, kind: str) -> int:
    return con.execute(f"select count(*) from raw.{kind}").fetchone()[0]


def pnr(yyyymmdd: str, serial: str = "123") -> str:
    nine = yyyymmdd[2:] + serial
    digits = [int(c) * (2 - i % 2) for i, c in enumerate(nine)]
    check = str((10 - sum(d // 10 + d % 10 for d in digits) % 10) % 10)
    return yyyymmdd[:2] + nine[:6] + "-" + nine[6:] + check


def test_every_sample_loads_with_the_exact_raw_layout(con, dirs):
    landing, quarantine = dirs
    copy_samples(landing)
    reports = ingest_all(con, landing, quarantine)
    for kind, rows in EXPECTED_ROWS.items():
        assert not reports[kind].quarantined, reports[kind].summary()
        assert reports[kind].rows_loaded == rows
        assert count(con, kind) == rows
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [kind],
        ).fetchall()
        assert columns == SPECS[kind].raw_schema(), kind
    assert not quarantine.exists()
    ledger = con.execute("select status, count(*), sum(rows) from raw._file_ledger group by all").fetchall()
    assert ledger == [("loaded", 12, sum(EXPECTED_ROWS.values()))]


def test_raw_values_and_newness_columns(con, dirs):
    landing, quarantine = dirs
    copy_samples(landing)
    ingest_all(con, landing, quarantine)
    xlsx = con.execute(
        "select min(_row_number), max(_row_number), any_value(_file_date), any_value(_exported_at), count(*) "
        "from raw.sus_deltagare where _source_file = 'sus_deltagare_2022-08-10.xlsx'"
    ).fetchone()
    assert xlsx == (5, 10, dt.date(2022, 8, 10), dt.datetime(2022, 8, 10, 11, 15, 53), 6)
    avesta = con.execute(
        "select distinct forbund, tid_i_offentlig_forsorjning from raw.sus_deltagare where _source_file like '%avesta%'"
    ).fetchall()
    assert avesta == [("Södra Dalarnas Samordningsförbund", "Upp till 3 år")]
    assert con.execute("select sum(belopp) from raw.ledger").fetchone()[0] == pytest.approx(162346.93)
    assert con.execute("select distinct _file_date from raw.procapita_ekonomiskt_bistand").fetchall() == [
        (dt.date(2022, 7, 1),)
    ]
    assert con.execute("select _period_month, count(*) from raw.procapita_narvaro group by 1").fetchall() == [
        (dt.date(2019, 7, 1), 6)
    ]
    mtime = con.execute("select distinct _file_mtime from raw.budget").fetchone()[0]
    assert mtime == dt.datetime.fromtimestamp((landing / "budget_2018.csv").stat().st_mtime)


def test_same_bytes_twice_change_nothing(con, dirs):
    landing, quarantine = dirs
    copy_samples(landing)
    assert len(files_to_ingest(con, landing)) == 12
    ingest_all(con, landing, quarantine)
    assert files_to_ingest(con, landing) == []
    before = {k: count(con, k) for k in SPECS}
    shutil.copy(landing / "ledger_2018.csv", landing / "ledger_2018_kopia.csv")  # same bytes, new name
    again = ingest_all(con, landing, quarantine)
    assert {k: count(con, k) for k in SPECS} == before
    assert all(not r.loaded and not r.quarantined for r in again.values())
    assert sorted(f.name for f in again["ledger"].skipped) == ["ledger_2018.csv", "ledger_2018_kopia.csv"]
    assert con.execute("select count(*) from raw._file_ledger").fetchone()[0] == 12
    (landing / "ledger_2018.csv").write_bytes((landing / "ledger_2018.csv").read_bytes() + b"\n")  # changed bytes
    assert files_to_ingest(con, landing) == ["ledger_2018.csv"]


def test_a_file_is_hashed_once_until_its_bytes_are_rewritten(con, dirs, monkeypatch):
    landing, quarantine = dirs
    monkeypatch.setattr(discovery, "SETTLED_AFTER_NS", 0)  # the copies here are only just written
    read: list[str] = []
    monkeypatch.setattr(discovery, "sha256_file", lambda path: read.append(path.name) or sha256_file(path))
    copy_samples(landing)
    ingest_all(con, landing, quarantine)
    assert len(read) == 12
    remembered = con.execute("select file_name, sha256 from raw._file_hashes order by 1").fetchall()
    assert remembered == sorted((p.name, sha256_file(p)) for p in landing.iterdir())

    read.clear()
    assert files_to_ingest(con, landing) == []
    again = ingest_all(con, landing, quarantine)
    assert read == []
    assert sum(len(r.skipped) for r in again.values()) == 12

    # A new export in place: the same size, its old mtime set back, other bytes.
    path = landing / "ledger_2018.csv"
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"94 448,35", b"94 448,36"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    while path.stat().st_ctime_ns == stat.st_ctime_ns:  # a coarse clock: wait for its next tick
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    read.clear()
    assert files_to_ingest(con, landing) == ["ledger_2018.csv"]
    assert read == ["ledger_2018.csv"]
    after = ingest_all(con, landing, quarantine)
    assert [(f.name, f.sha256) for f in after["ledger"].loaded] == [("ledger_2018.csv", sha256_file(path))]
    assert con.execute("select sum(belopp) from raw.ledger").fetchone()[0] == pytest.approx(2 * 162346.93 + 0.01)

    # A warehouse without the table hashes every file, as before there was one.
    con.execute("drop table raw._file_hashes")
    read.clear()
    assert files_to_ingest(con, landing) == []
    assert len(read) == 12


def test_bad_file_is_quarantined_byte_for_byte_and_others_still_load(con, dirs, monkeypatch):
    landing, quarantine = dirs
    monkeypatch.setattr(discovery, "SETTLED_AFTER_NS", 0)  # hashes are remembered, also of the bad file
    shutil.copy(SAMPLES / "sus_deltagare_malmo_2020-01-15.csv", landing)
    good_a, bad_pnr = pnr("19850221", "484"), pnr("19900611", "273")
    bad_pnr = bad_pnr[:-1] + str((int(bad_pnr[-1]) + 1) % 10)
    bad_bytes = (
        "Förbund;Insats-ID;Personnummer;Kön;Startdatum;Slutdatum\r\n"
        f"Förbund Ö;AC-MALMO;{good_a};Kvinna;2020-01-02;\r\n"
        f"Förbund Ö;AC-MALMO;{bad_pnr};Okänd;2020-13-01;\r\n"
        f"Förbund Ö;OKÄND-1;{good_a};Man;2020-01-02;2019-12-31\r\n"
    ).encode("cp1252")
    (landing / "sus_deltagare_ost_2020-02-01.csv").write_bytes(bad_bytes)

    report = ingest_kind(con, "sus_deltagare", landing, quarantine, KEY, REFRESH, {"AC-MALMO"})

    assert [(f.name, f.rows) for f in report.loaded] == [("sus_deltagare_malmo_2020-01-15.csv", 6)]
    (q,) = report.quarantined
    assert q.name == "sus_deltagare_ost_2020-02-01.csv" and q.error_count == 5
    assert not (landing / q.name).exists()
    assert (quarantine / q.name).read_bytes() == bad_bytes
    reason = (quarantine / f"{q.name}.reason.txt").read_text(encoding="utf-8")
    for expected in (
        f'{q.name}, rad 3, kolumn "Personnummer": ogiltigt personnummer (kontrollsiffra)',
        f'{q.name}, rad 3, kolumn "Kön": okänd kod',
        f'{q.name}, rad 3, kolumn "Startdatum": ogiltigt datum',
        f'{q.name}, rad 4, kolumn "Insats-ID": Insats-ID finns inte i insatsregistret (raw.insatser) (värde: "OKÄND-1")',
        f'{q.name}, rad 4, kolumn "Slutdatum": Slutdatum är före Startdatum',
        "Antal fel: 5",
    ):
        assert expected in reason
    assert bad_pnr not in reason and bad_pnr[2:8] not in reason and good_a not in reason
    assert count(con, "sus_deltagare") == 6
    ledger = con.execute("select file_name, status, rows, reason from raw._file_ledger order by status").fetchall()
    assert [row[:3] for row in ledger] == [
        ("sus_deltagare_malmo_2020-01-15.csv", "loaded", 6),
        ("sus_deltagare_ost_2020-02-01.csv", "quarantined", 3),
    ]
    assert bad_pnr[2:8] not in ledger[1][3] and "kontrollsiffra" in ledger[1][3]

    # The förbund fixes the export and drops it again under the same name: it loads.
    fixed = (
        f"Förbund;Insats-ID;Personnummer;Kön;Startdatum;Slutdatum\r\nFörbund Ö;AC-MALMO;{good_a};Kvinna;2020-01-02;\r\n"
    ).encode("cp1252")
    (landing / q.name).write_bytes(fixed)
    retry = ingest_kind(con, "sus_deltagare", landing, quarantine, KEY, REFRESH, {"AC-MALMO"})
    assert [(f.name, f.rows) for f in retry.loaded] == [(q.name, 1)]
    assert [f.name for f in retry.skipped] == ["sus_deltagare_malmo_2020-01-15.csv"]
    assert count(con, "sus_deltagare") == 7
    remembered = con.execute("select file_name, sha256 from raw._file_hashes order by 1").fetchall()
    assert remembered == sorted((p.name, sha256_file(p)) for p in landing.iterdir())
    assert (q.name, q.sha256) not in remembered


def test_unreadable_file_is_quarantined(con, dirs):
    landing, quarantine = dirs
    (landing / "budget_2019.csv").write_text("nothing to see\n", encoding="utf-8")
    (landing / "budget_2020.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    report = ingest_kind(con, "budget", landing, quarantine, KEY, REFRESH, None)
    assert sorted(q.name for q in report.quarantined) == ["budget_2019.csv", "budget_2020.xlsx"]
    reasons = {q.name: q.reason for q in report.quarantined}
    assert "hittar ingen rubrikrad" in reasons["budget_2019.csv"]
    assert "Excel" in reasons["budget_2020.xlsx"]
    assert count(con, "budget") == 0


def test_raw_tables_exist_even_without_files(con, dirs):
    landing, quarantine = dirs
    for kind in SPECS:
        report = ingest_kind(con, kind, landing, quarantine, KEY, REFRESH, None)
        assert (report.loaded, report.skipped, report.quarantined) == ([], [], [])
        assert count(con, kind) == 0
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [kind],
        ).fetchall()
        assert columns == SPECS[kind].raw_schema()
    assert registered_insats_ids(con) == set()
    assert con.execute("select count(*) from raw._file_ledger").fetchone()[0] == 0


def test_registered_insats_ids_helper(con, dirs):
    landing, quarantine = dirs
    assert registered_insats_ids(con) == set()  # no table at all
    shutil.copy(SAMPLES / "insatser_2022-08-01.csv", landing)
    ingest_kind(con, "insatser", landing, quarantine, KEY, REFRESH, None)
    assert registered_insats_ids(con) == {"SOT-VAS", "SAMV-AVESTA", "AC-MALMO"}


def test_unregistered_insats_id_quarantines_through_ingest_kind(con, dirs):
    landing, quarantine = dirs
    shutil.copy(SAMPLES / "sus_anonyma_2022-08-10.csv", landing)
    report = ingest_kind(con, "sus_anonyma", landing, quarantine, KEY, REFRESH, {"AC-MALMO"})
    (q,) = report.quarantined
    assert (
        q.reason
        == 'rad 3, kolumn "Insats-ID": Insats-ID finns inte i insatsregistret (raw.insatser) (värde: "SOT-VAS")'
    )


def test_no_personnummer_anywhere_in_raw(dirs, tmp_path):
    landing, quarantine = dirs
    copy_samples(landing)
    con_a = duckdb.connect(str(tmp_path / "a.duckdb"))
    ingest_all(con_a, landing, quarantine, key=b"key-A")
    varchar_columns = con_a.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'raw' and data_type = 'VARCHAR'"
    ).fetchall()
    assert len(varchar_columns) > 50
    hash_columns = {"_sha256", "sha256", "person_id", "person_id_1", "person_id_2"}
    for table, column in varchar_columns:
        if column in hash_columns:
            # Hex digests may hold digit runs by chance: they must be digests, nothing else.
            not_hash = con_a.execute(
                f'select count(*) from raw."{table}" where not regexp_full_match("{column}", \'[0-9a-f]{{64}}\')'
            ).fetchone()[0]
            assert not_hash == 0, (table, column)
            continue
        hits = con_a.execute(
            f'select count(*) from raw."{table}" where regexp_matches("{column}", ?)', [PNR_LIKE]
        ).fetchone()[0]
        assert hits == 0, (table, column)
    # The guard itself works: a personnummer would be found.
    assert con_a.execute("select regexp_matches('x 19770526-3700 y', ?)", [PNR_LIKE]).fetchone()[0]
    assert con_a.execute("select regexp_matches('197705263700', ?)", [PNR_LIKE]).fetchone()[0]
    names = {c for _, c in varchar_columns}
    assert not names & {"personnummer", "personnr1", "personnr2"}
    con_a.close()


def test_one_person_has_one_pseudonym_across_sources_and_another_key_gives_another(dirs, tmp_path):
    landing, quarantine = dirs
    copy_samples(landing)
    con_a = duckdb.connect(str(tmp_path / "a.duckdb"))
    ingest_all(con_a, landing, quarantine, key=b"key-A")
    # The same person (19770526-3700) in SUS and in Pro Capita gets the same pseudonym ...
    expected = pseudonym("197705263700", b"key-A")
    sus = con_a.execute(
        "select person_id from raw.sus_deltagare where _row_number = 2 and _source_file like '%malmo%'"
    ).fetchone()[0]
    narvaro = con_a.execute("select distinct person_id from raw.procapita_narvaro").fetchall()
    assert sus == expected and narvaro == [(expected,)]
    assert re.fullmatch(r"[0-9a-f]{64}", sus)
    con_a.close()

    # ... and another key gives another pseudonym for the same bytes.
    con_b = duckdb.connect(":memory:")
    other_landing = tmp_path / "landing_b"
    other_landing.mkdir()
    shutil.copy(SAMPLES / "procapita_narvaro_2019.csv", other_landing)
    ingest_kind(con_b, "procapita_narvaro", other_landing, quarantine, b"key-B", REFRESH, None)
    assert con_b.execute("select distinct person_id from raw.procapita_narvaro").fetchall() == [
        (pseudonym("197705263700", b"key-B"),)
    ]
    assert pseudonym("197705263700", b"key-B") != expected


def test_rows_and_ledger_are_one_transaction(con, dirs):
    landing, quarantine = dirs
    shutil.copy(SAMPLES / "budget_2018.csv", landing)
    # A ledger that refuses every "loaded" row: the ledger write fails after the rows were appended.
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in LEDGER_COLUMNS)
    con.execute("create schema if not exists raw")
    con.execute(f"create table {LEDGER_TABLE} ({columns}, check (status <> 'loaded'))")
    with pytest.raises(duckdb.ConstraintException):
        ingest_kind(con, "budget", landing, quarantine, KEY, REFRESH, None)
    assert count(con, "budget") == 0  # the appended rows were rolled back
    assert (landing / "budget_2018.csv").exists()
    con.execute(f"drop table {LEDGER_TABLE}")
    report = ingest_kind(con, "budget", landing, quarantine, KEY, REFRESH, None)
    assert report.rows_loaded == 5 and count(con, "budget") == 5


def test_ingest_checkpoints_at_the_end_and_puts_the_checkpoint_threshold_back(dirs, tmp_path):
    # ingest_kind raises the database's checkpoint threshold while it loads (load.py).
    landing, quarantine = dirs
    copy_samples(landing)
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("set checkpoint_threshold = '20MB'")
        before = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
        ingest_all(con, landing, quarantine)
        assert con.execute("select current_setting('checkpoint_threshold')").fetchone()[0] == before
        wal = path.with_name(path.name + ".wal")
        assert not wal.exists() or wal.stat().st_size == 0


def test_unknown_kind_is_a_programming_error(con, dirs):
    landing, quarantine = dirs
    with pytest.raises(ValueError, match="unknown source kind"):
        ingest_kind(con, "sus", landing, quarantine, KEY, REFRESH, None)
