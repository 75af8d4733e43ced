"""The kind's file suite as a gate of ingest: a file that breaks a blocking expectation is quarantined.

`check_parsed_file` is called once per file by `load.ingest_kind`, after the file was read,
typed and validated by the parser and before its rows are appended to `raw.<kind>`. It runs the
kind's suite (`raw_<kind>`) on the parsed frame (pipelines/quality/files.py) and turns a failed
blocking (critical) expectation into the parser's errors, so load.py quarantines the file like
any other bad file, with the expectation, its reason and the offending rows named in the reason
file. Warnings are logged.

The parse result, its row errors and the quarantine are ingest's, so this step is here: quality
judges a frame and imports nothing of ingest.
"""

from __future__ import annotations

import datetime as dt
import logging

from pipelines.ingest.discovery import LandingFile
from pipelines.ingest.parse import MAX_ERRORS, ParseResult, RowError
from pipelines.privacy import shown
from pipelines.quality.files import suite_headers, validate_file_frame, validate_file_frames
from pipelines.quality.runtime import SuiteOutcome
from pipelines.settings import get_settings
from pipelines.sources.spec import SourceSpec

log = logging.getLogger(__name__)


def _errors(outcome: SuiteOutcome, spec: SourceSpec, file_name: str) -> tuple[list[RowError], int, list]:
    headers = suite_headers(spec)
    errors: list[tuple[int, int, RowError]] = []
    summary: list[tuple[str | None, str, int]] = []
    count = 0
    for order, e in enumerate(outcome.blocking):
        first_column = (e.column or "").split(", ")[0] or None
        header = headers.get(first_column, first_column) if first_column else None
        problem = f"kvalitetsregeln {e.label} i sviten {outcome.suite} bröts: {e.why}"
        if e.error:
            problem += f" (fel i regeln: {e.error})"
        n = int(e.unexpected_count or 1)
        count += n
        summary.append((header, f"kvalitetsregeln {e.label}", n))
        if not e.sample:
            errors.append((0, order, RowError(file_name, None, header, problem)))
            continue
        for row in e.sample:
            row_number = row.get("_row_number")
            values = {k: v for k, v in row.items() if k != "_row_number"}
            # Never a personnummer: pseudonym columns hold hashes, the rest is redacted.
            value = "; ".join(f"{headers.get(k, k)}={shown(v)}" for k, v in values.items()) or None
            errors.append((int(row_number or 0), order, RowError(file_name, row_number, header, problem, value)))
    errors.sort(key=lambda t: (t[0], t[1]))
    return [e for _, _, e in errors[:MAX_ERRORS]], count, summary


def check_parsed_file(result: ParseResult, f: LandingFile, spec: SourceSpec, export_date: dt.date) -> ParseResult:
    """Ingest hook (see module docstring): `result` unchanged when the suite passes (or the file
    already failed parsing), else a failed result naming the broken expectations."""
    if not result.ok or result.frame is None:
        return result
    outcome = validate_file_frame(
        result.frame, spec, file_name=f.name, export_date=export_date, validation_dir=get_settings().validation_dir
    )
    return _verdict(result, outcome, f, spec)


def check_parsed_files(
    parsed: list[tuple[ParseResult, LandingFile]], spec: SourceSpec, export_date: dt.date
) -> list[ParseResult]:
    """`check_parsed_file` for several small parsed files of one export date, which share one GX
    run when they all pass (pipelines/quality/files.py `validate_file_frames`)."""
    frames = [(result.frame, f.name) for result, f in parsed]
    outcomes = validate_file_frames(frames, spec, export_date=export_date, validation_dir=get_settings().validation_dir)
    return [_verdict(result, outcome, f, spec) for (result, f), outcome in zip(parsed, outcomes, strict=True)]


def _verdict(result: ParseResult, outcome: SuiteOutcome, f: LandingFile, spec: SourceSpec) -> ParseResult:
    for w in outcome.warnings:
        log.warning("%s: quality warning %s (%s rows): %s", f.name, w.label, w.unexpected_count, w.why)
    if outcome.ok:
        log.info(
            "%s: suite %s passed (%d expectations, %.2f s%s)",
            f.name,
            outcome.suite,
            len(outcome.expectations),
            outcome.duration_s,
            "" if outcome.files == 1 else f", one GX run for {outcome.files} files",
        )
        return result
    errors, count, summary = _errors(outcome, spec, f.name)
    return ParseResult(frame=None, errors=errors, error_count=count, summary=summary, rows=result.rows)
