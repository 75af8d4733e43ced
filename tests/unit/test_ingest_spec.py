"""Source specs (YAML + seed code lists) and landing-file discovery."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from pipelines.ingest import discovery
from pipelines.ingest.discovery import discover, file_date_from_name, kind_of, sha256_file
from pipelines.sources.spec import SpecError, load_code_lists, load_spec, load_specs, normalize_header

KINDS = {
    "sus_deltagare",
    "sus_anonyma",
    "insatser",
    "stegmatning",
    "procapita_ekonomiskt_bistand",
    "procapita_aktiviteter",
    "procapita_narvaro",
    "budget",
    "finansiering",
    "ledger",
}


def test_every_kind_has_a_spec_with_its_raw_layout():
    specs = load_specs()
    assert set(specs) == KINDS
    narvaro = specs["procapita_narvaro"]
    assert narvaro.raw_schema() == [
        ("person_id", "VARCHAR"),
        ("fodelsedatum", "DATE"),
        ("kon_personnummer", "VARCHAR"),
        ("aktivitet", "VARCHAR"),
        ("datum", "DATE"),
        ("planerade_timmar", "DOUBLE"),
        ("narvarotimmar", "DOUBLE"),
        ("franvaroorsak", "VARCHAR"),
        ("_row_number", "BIGINT"),
        ("_source_file", "VARCHAR"),
        ("_sha256", "VARCHAR"),
        ("_loaded_at", "TIMESTAMP"),
        ("_file_date", "DATE"),
        ("_exported_at", "TIMESTAMP"),
        ("_file_mtime", "TIMESTAMP"),
        ("_period_month", "DATE"),
    ]
    # No raw table has a personnummer column.
    for spec in specs.values():
        names = [n for n, _ in spec.raw_schema()]
        assert not any(n in ("personnummer", "personnr1", "personnr2") for n in names), spec.kind


def test_code_lists_come_from_the_seed():
    specs = load_specs()
    kon = specs["sus_deltagare"].column("kon")
    assert kon.codes == ("Kvinna", "Man")
    assert specs["stegmatning"].column("steg").steps[:4] == (
        ("introduktion", 1),
        ("kom igång", 2),
        ("kom i jobb", 3),
        ("egen försörjning", 4),
    )
    assert load_code_lists().lists["franvaroorsak"] == ("Sjuk", "Giltig", "Ogiltig")


def test_insats_id_columns_must_be_registered():
    specs = load_specs()
    flagged = {k: [c.name for c in s.columns if c.must_be_registered] for k, s in specs.items()}
    assert flagged == {
        "sus_deltagare": ["insats_id"],
        "sus_anonyma": ["insats_id"],
        "stegmatning": ["insats_id"],
        "procapita_aktiviteter": ["insats_id"],
        "budget": ["insats_id"],
        "ledger": ["projekt"],
        "insatser": [],
        "procapita_ekonomiskt_bistand": [],
        "procapita_narvaro": [],
        "finansiering": [],
    }


def test_header_normalisation_is_case_accent_and_punctuation_insensitive():
    assert normalize_header("FÖRSÖRJNING FÖRE") == normalize_header("Försörjning före") == "forsorjningfore"
    assert normalize_header("Insats-ID") == normalize_header("insats id") == "insatsid"
    lookup = load_specs()["sus_deltagare"].header_lookup
    assert lookup[normalize_header("INSKRIVNINGSDATUM")] == "startdatum"
    assert lookup[normalize_header("försörjning FÖRE insats")] == "forsorjning_fore"
    narvaro = load_specs()["procapita_narvaro"].header_lookup
    assert narvaro[normalize_header("NARVAROTIMMAR")] == "narvarotimmar"


def test_spec_errors_are_loud(tmp_path):
    bad = tmp_path / "budget.yml"
    bad.write_text(
        "kind: budget\nreplace_by: []\ncolumns:\n  - {name: ar, header: År, type: integer, requried: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="requried"):
        load_spec(bad)
    bad.write_text(
        "kind: budget\nreplace_by: []\ncolumns:\n  - {name: x, header: X, type: code, kodlista: finns_inte}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="finns_inte"):
        load_spec(bad)


# --- discovery -------------------------------------------------------------------------------


def test_kind_of_takes_the_longest_matching_kind():
    kinds = ["sus", "sus_deltagare", "procapita_narvaro", "ledger"]
    assert kind_of("sus_deltagare_x.csv", kinds) == "sus_deltagare"
    assert kind_of("sus_anonyma_2022.csv", kinds) == "sus"
    assert kind_of("SUS_DELTAGARE_2022-08-10.XLSX", kinds) == "sus_deltagare"
    assert kind_of("ledger.txt", kinds) == "ledger"
    assert kind_of("ledgerx.csv", kinds) is None
    assert kind_of("ledger_2018.pdf", kinds) is None
    assert kind_of(".ledger_2018.csv", kinds) is None
    assert kind_of("~$ledger_2018.xlsx", kinds) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sus_deltagare_2022-08-10.xlsx", (dt.date(2022, 8, 10), True)),
        ("sus_deltagare_avesta_2019-01-31.csv", (dt.date(2019, 1, 31), True)),
        ("procapita_ekonomiskt_bistand_2022-07.txt", (dt.date(2022, 7, 1), False)),
        ("ledger_2018.csv", (dt.date(2018, 1, 1), False)),
        ("ledger.csv", (None, False)),
        ("ledger_201810.csv", (None, False)),
        ("ledger_2018-13-01.csv", (None, False)),
    ],
)
def test_file_date_from_name(name, expected):
    assert file_date_from_name(name) == expected


def test_discover_lists_the_kinds_files_with_hash_and_dates(tmp_path):
    (tmp_path / "sus_deltagare_2022-08-10.csv").write_bytes(b"a")
    (tmp_path / "sus_deltagare_old_2019-01-31.CSV").write_bytes(b"b")
    (tmp_path / "sus_anonyma_2022.csv").write_bytes(b"c")
    (tmp_path / "sus_deltagare_notes.pdf").write_bytes(b"d")
    (tmp_path / ".sus_deltagare_hidden.csv").write_bytes(b"e")
    (tmp_path / "sus_deltagare_dir.csv").mkdir()
    os.utime(tmp_path / "sus_deltagare_2022-08-10.csv", (1_600_000_000, 1_600_000_000))
    files = discover(tmp_path, "sus_deltagare", load_specs())
    assert [f.name for f in files] == ["sus_deltagare_old_2019-01-31.CSV", "sus_deltagare_2022-08-10.csv"]
    newest = files[-1]
    assert newest.sha256 == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"  # sha256(b"a")
    assert newest.sha256 == sha256_file(tmp_path / "sus_deltagare_2022-08-10.csv")
    assert newest.file_date == dt.date(2022, 8, 10) and newest.file_date_is_day
    assert newest.mtime == dt.datetime.fromtimestamp(1_600_000_000)
    assert discover(tmp_path / "missing", "ledger", load_specs()) == []


def count_hashing(monkeypatch) -> list[str]:
    """The names of the files discovery reads to hash them during the test."""
    read: list[str] = []

    def counting(path: Path) -> str:
        read.append(path.name)
        return sha256_file(path)

    monkeypatch.setattr(discovery, "sha256_file", counting)
    return read


def test_discover_reads_a_file_hashed_before_no_more(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "SETTLED_AFTER_NS", 0)  # the files here are only just written
    read = count_hashing(monkeypatch)
    (tmp_path / "ledger_2018.csv").write_bytes(b"a")
    (tmp_path / "ledger_2019.csv").write_bytes(b"b")
    first = discover(tmp_path, "ledger", load_specs())
    assert sorted(read) == ["ledger_2018.csv", "ledger_2019.csv"]
    known = {f.hash_key: f.sha256 for f in first}
    assert None not in known
    read.clear()
    again = discover(tmp_path, "ledger", load_specs(), known)
    assert read == []
    assert [f.sha256 for f in again] == [f.sha256 for f in first]
    assert again[0].sha256 == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"  # sha256(b"a")


def test_discover_hashes_a_rewritten_file_again_though_size_and_mtime_are_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "SETTLED_AFTER_NS", 0)
    read = count_hashing(monkeypatch)
    path = tmp_path / "ledger_2018.csv"
    path.write_bytes(b"a")
    [before] = discover(tmp_path, "ledger", load_specs())
    stat = path.stat()
    with path.open("r+b") as fh:  # in place: the same inode
        fh.write(b"b")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime back
    while path.stat().st_ctime_ns == stat.st_ctime_ns:  # a coarse clock: wait for its next tick
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ino,
    )
    read.clear()
    [after] = discover(tmp_path, "ledger", load_specs(), {before.hash_key: before.sha256})
    assert read == ["ledger_2018.csv"]
    assert after.sha256 == "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"  # sha256(b"b")


def test_discover_remembers_no_hash_of_a_file_changed_just_now(tmp_path):
    path = tmp_path / "ledger_2018.csv"
    path.write_bytes(b"a")
    os.utime(path, (1_600_000_000, 1_600_000_000))  # an old mtime says nothing: ctime is now
    [found] = discover(tmp_path, "ledger", load_specs())
    assert found.hash_key is None
    assert found.sha256 == sha256_file(path)


def test_sample_fixtures_are_present():
    samples = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
    assert len(list(samples.glob("*_*.*"))) == 12
