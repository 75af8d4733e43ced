"""Fixtures shared by the unit tests of ingest and of the file suites.

- `isolated_data_dir`: FINSAM_DATA_DIR points at a fresh temp dir for one test (what ingest
  writes under the data dir, e.g. validation results, goes there);
- `quality_data_dir`: the same for a whole module (the GX runtime of a validation dir is built
  once per module, not per test);
- `dirs`: an empty landing folder and a quarantine folder (not yet made) for one test;
- `parsed_samples`: every source kind's sample export (tests/fixtures/samples), parsed once for
  the session;
- `duplicated_sus`: writes the Malmö SUS sample with its first episode twice, an export the
  parser accepts and the suite rejects;
- `parsed_personnummer`: the values the personnummer parser is called with during one test.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import polars as pl
import pytest

from pipelines.ingest import load_specs
from pipelines.ingest.discovery import LandingFile, discover
from pipelines.ingest.load import export_date_of, read_and_parse
from pipelines.ingest.parse import ParseResult

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SAMPLES_REFRESH_DAY = dt.date(2026, 11, 23)

# One sample export per source kind, the one the file-suite tests parse and break.
SAMPLE_OF_KIND = {
    "insatser": "insatser_2022-08-01.csv",
    "sus_deltagare": "sus_deltagare_malmo_2020-01-15.csv",
    "sus_anonyma": "sus_anonyma_2022-08-10.csv",
    "stegmatning": "stegmatning_2022-08-05.csv",
    "procapita_aktiviteter": "procapita_aktiviteter_2020-01-10.csv",
    "procapita_narvaro": "procapita_narvaro_2019.csv",
    "procapita_ekonomiskt_bistand": "procapita_ekonomiskt_bistand_2022-07.txt",
    "budget": "budget_2018.csv",
    "finansiering": "finansiering_2018.csv",
    "ledger": "ledger_2018.csv",
}


class ParsedSample(NamedTuple):
    file: LandingFile
    result: ParseResult
    export_date: dt.date

    @property
    def frame(self) -> pl.DataFrame:
        return self.result.frame


@pytest.fixture
def isolated_data_dir(tmp_path, monkeypatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("FINSAM_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="module")
def quality_data_dir(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("quality_data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINSAM_DATA_DIR", str(data))
        yield data


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    landing, quarantine = tmp_path / "landing", tmp_path / "quarantine"
    landing.mkdir()
    return landing, quarantine


@pytest.fixture(scope="session")
def parsed_samples(tmp_path_factory) -> dict[str, ParsedSample]:
    """kind -> the kind's sample export, discovered, parsed (pseudonyms keyed) and dated."""
    specs = load_specs()
    assert set(SAMPLE_OF_KIND) == set(specs), "every source kind needs a sample export"
    landing = tmp_path_factory.mktemp("samples_landing")
    out = {}
    for kind, name in SAMPLE_OF_KIND.items():
        shutil.copy(SAMPLES / name, landing / name)
        [f] = [f for f in discover(landing, kind, specs) if f.name == name]
        result, exported_at = read_and_parse(
            f, specs[kind], key=b"samples-test-key", refresh_day=SAMPLES_REFRESH_DAY, registered_insats_ids=None
        )
        assert result.ok, [str(e) for e in result.errors]
        out[kind] = ParsedSample(f, result, export_date_of(f, exported_at, SAMPLES_REFRESH_DAY)[0])
    return out


@pytest.fixture
def duplicated_sus() -> Callable[[Path, str], bytes]:
    """write(landing, name): the Malmö SUS sample as `landing/name`, its first episode twice (a
    UTF-8 BOM and CRLF, as SUS writes); returns the bytes written."""

    def write(landing: Path, name: str) -> bytes:
        text = (SAMPLES / "sus_deltagare_malmo_2020-01-15.csv").read_bytes().decode("utf-8-sig")
        lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
        payload = ("\ufeff" + "\r\n".join([lines[0], lines[1], *lines[1:]])).encode("utf-8")
        (landing / name).write_bytes(payload)
        return payload

    return write


@pytest.fixture
def parsed_personnummer(monkeypatch) -> list[str]:
    """Every value pipelines.ingest.personnummer parses during the test, in order (the parser
    itself still runs: the list only watches it)."""
    from pipelines.ingest import personnummer

    calls: list[str] = []
    real = personnummer.parse_personnummer

    def counting(value, refresh_day):
        calls.append(value)
        return real(value, refresh_day)

    monkeypatch.setattr(personnummer, "parse_personnummer", counting)
    return calls
