"""The source-kind suites (raw_<kind>) on parsed file frames, and the ingest hook.

For every kind: the sample export parses and passes its suite, and a deliberately broken copy of
the parsed frame fails, naming the expectation that caught it. Then the hook inside ingest_kind:
a file the parser accepts but the suite rejects (a duplicated episode) is quarantined with the
expectation named in the reason file; a warning publishes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest import ingest_kind, load_specs
from pipelines.ingest.file_suite import check_parsed_file
from pipelines.quality.files import validate_file_frame, validation_frame

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SPECS = load_specs()
REFRESH = dt.date(2026, 11, 23)
KEY = b"quality-test-key"
PNR_LIKE = re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+]?\d{4}(?!\d)")


def _first_row(frame: pl.DataFrame, **values) -> pl.DataFrame:
    """`frame` with the first row's columns set to `values`."""
    first = pl.int_range(pl.len()) == 0
    return frame.with_columns(
        [pl.when(first).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )


def _duplicate_first_row(frame: pl.DataFrame) -> pl.DataFrame:
    dup = frame.head(1).with_columns(pl.col("_row_number") + 10_000)
    return pl.concat([frame, dup])


# kind -> (how to break the parsed frame, the expectation label that must catch it)
BROKEN = {
    "insatser": (_duplicate_first_row, "expect_column_values_to_be_unique(insats_id)"),
    "sus_deltagare": (
        _duplicate_first_row,
        "expect_compound_columns_to_be_unique(forbund, insats_id, person_id, startdatum)",
    ),
    "sus_anonyma": (lambda f: _first_row(f, kvinnor=-1), "expect_column_values_to_be_between(kvinnor)"),
    "stegmatning": (lambda f: _first_row(f, steg=7), "expect_column_values_to_be_between(steg)"),
    "procapita_aktiviteter": (lambda f: _first_row(f, status="Okänd"), "expect_column_values_to_be_in_set(status)"),
    "procapita_narvaro": (
        lambda f: _first_row(f, planerade_timmar=1.0, narvarotimmar=6.0),
        "expect_column_values_to_be_between(narvarotimmar_over_planerade_timmar)",
    ),
    "procapita_ekonomiskt_bistand": (
        lambda f: _first_row(f, person_id_1="198001011234"),
        "expect_column_values_to_match_regex(person_id_1)",
    ),
    "budget": (lambda f: _first_row(f, kostnadsslag="Resor"), "expect_column_values_to_be_in_set(kostnadsslag)"),
    "finansiering": (lambda f: _first_row(f, belopp=None), "expect_column_values_to_not_be_null(belopp)"),
    "ledger": (lambda f: _first_row(f, period=dt.date(2030, 1, 1)), "expect_column_values_to_be_between(period)"),
}


def test_every_kind_has_a_breaker():
    assert set(BROKEN) == set(SPECS)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_clean_sample_passes_its_suite(kind, parsed_samples, quality_data_dir):
    f, result, export_date = parsed_samples[kind]
    outcome = validate_file_frame(
        result.frame,
        SPECS[kind],
        file_name=f.name,
        export_date=export_date,
        validation_dir=quality_data_dir / "validation",
    )
    assert outcome.suite == f"raw_{kind}"
    assert outcome.ok, [(e.label, e.unexpected_count, e.error) for e in outcome.blocking]
    assert not [e for e in outcome.expectations if e.error], "an expectation raised instead of evaluating"
    assert check_parsed_file(result, f, SPECS[kind], export_date) is result


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_frame_fails_naming_the_expectation(kind, parsed_samples, quality_data_dir):
    f, result, export_date = parsed_samples[kind]
    breaker, label = BROKEN[kind]
    broken = breaker(result.frame)
    outcome = validate_file_frame(
        broken, SPECS[kind], file_name=f.name, export_date=export_date, validation_dir=quality_data_dir / "validation"
    )
    assert not outcome.ok
    assert label in [e.label for e in outcome.blocking], [e.label for e in outcome.blocking]
    # Through the hook: a failed parse result naming the expectation and the offending row.
    hooked = check_parsed_file(type(result)(frame=broken, rows=result.rows), f, SPECS[kind], export_date)
    assert not hooked.ok and hooked.frame is None
    messages = [str(e) for e in hooked.errors]
    assert any(label in m for m in messages), messages
    assert any(e.row is not None for e in hooked.errors)
    assert not any(PNR_LIKE.search(m) for m in messages), "a personnummer-shaped value in an error message"


def test_codes_are_compared_in_the_seeds_spelling(parsed_samples):
    result = parsed_samples["sus_deltagare"].result
    shouty = _first_row(result.frame, avslutsanledning="UTSKRIVNING", forsorjning_fore="a-kassa,STUDIESTÖD/STUDIEMEDEL")
    frame = validation_frame(shouty, SPECS["sus_deltagare"])
    assert frame["avslutsanledning"][0] == "Utskrivning"
    assert frame["forsorjning_fore"][0] == "A-kassa, Studiestöd/Studiemedel"


def test_free_text_is_redacted_before_gx_sees_it(parsed_samples):
    result = parsed_samples["sus_deltagare"].result
    frame = validation_frame(_first_row(result.frame, insatsnamn="Ring 19800101-1234"), SPECS["sus_deltagare"])
    assert "19800101-1234" not in frame["insatsnamn"][0]


# --------------------------------------------------------------------------------------------
# The hook inside ingest_kind


def test_ingest_quarantines_a_file_the_suite_rejects_and_names_the_expectation(dirs, duplicated_sus, quality_data_dir):
    landing, quarantine = dirs
    name = "sus_deltagare_malmo_2020-01-16.csv"
    duplicated = duplicated_sus(landing, name)  # the first episode twice
    with duckdb.connect(":memory:") as con:
        report = ingest_kind(con, "sus_deltagare", landing, quarantine, KEY, REFRESH, {"AC-MALMO"})
        assert con.execute("select count(*) from raw.sus_deltagare").fetchone()[0] == 0
    assert [q.file_name for q in report.quarantined] == [name]
    reason = (quarantine / f"{name}.reason.txt").read_text(encoding="utf-8")
    assert "expect_compound_columns_to_be_unique(forbund, insats_id, person_id, startdatum)" in reason
    assert "raw_sus_deltagare" in reason
    assert "rad 2" in reason and "rad 3" in reason  # both copies are named by their line
    assert not PNR_LIKE.search(reason)
    assert (quarantine / name).read_bytes() == duplicated


def test_a_warning_publishes_and_is_logged(dirs, quality_data_dir, caplog):
    landing, quarantine = dirs
    text = (SAMPLES / "ledger_2018.csv").read_bytes().decode("cp1252")
    lines = text.split("\r\n")
    fields = lines[1].split(";")
    fields[-1] = "6 000 000,00"  # a single booking above 5 Mkr: suspicious, not impossible
    lines[1] = ";".join(fields)
    (landing / "ledger_2018.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    with duckdb.connect(":memory:") as con, caplog.at_level("WARNING"):
        report = ingest_kind(con, "ledger", landing, quarantine, KEY, REFRESH, None)
    assert not report.quarantined and report.loaded
    assert any("quality warning expect_column_values_to_be_between(belopp)" in r.getMessage() for r in caplog.records)
    index = (quality_data_dir / "validation" / "index.jsonl").read_text(encoding="utf-8")
    assert "expect_column_values_to_be_between(belopp)" in index
