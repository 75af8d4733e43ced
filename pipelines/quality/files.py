"""The ingest hook: a source kind's suite (`raw_<kind>`) on each parsed file, before raw.

`check_parsed_file` is called once per file by `pipelines.ingest.load.ingest_kind`, after the
file was read, typed and validated by the parser and before its rows are appended to
`raw.<kind>`. A failed blocking (critical) expectation turns the parse result into errors, so the
file is quarantined like any other bad file, with the expectation, its reason and the offending
rows named in the reason file. Warnings are logged and kept in the data docs and the summary.

The frame GX sees is the parsed frame with three changes, all for the suite's sake:
- a `code` cell is written in the seed's spelling when it matches a code case-insensitively (the
  parser accepts any letter case; staging normalises it), a `code_list` cell is rewritten as its
  codes joined by ", " — so the suite's value sets are exactly the seed's codes;
- free-text cells are passed through `redact`, so no personnummer typed into a wrong column can
  reach a stored validation result or the data docs;
- derived columns of the suite (e.g. närvaro over plan) are added.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.ingest.parse import MAX_ERRORS, ParseResult, RowError
from pipelines.ingest.privacy import redact, shown
from pipelines.ingest.spec import SourceSpec, normalize_code
from pipelines.quality.build_suites import file_suite_name
from pipelines.quality.runtime import SuiteOutcome, get_runtime, load_suite_json, pandas_for_gx
from pipelines.settings import get_settings

if TYPE_CHECKING:
    from pathlib import Path

    from pipelines.ingest.discovery import LandingFile

log = logging.getLogger(__name__)

_SUITE_META: dict[str, dict[str, Any]] = {}


def _suite_meta(kind: str) -> dict[str, Any]:
    name = file_suite_name(kind)
    if name not in _SUITE_META:
        _SUITE_META[name] = load_suite_json(name)["meta"]["finsam"]
    return _SUITE_META[name]


def _canonical(frame: pl.DataFrame, column: str, codes: tuple[str, ...], as_list: bool) -> pl.Expr:
    by_key = {normalize_code(c): c for c in codes}
    distinct = frame.get_column(column).drop_nulls().unique().to_list()
    if not distinct:
        return pl.col(column)
    if as_list:
        mapped = [
            ", ".join(by_key.get(normalize_code(item), item.strip()) for item in value.split(",") if item.strip())
            for value in distinct
        ]
    else:
        mapped = [by_key.get(normalize_code(v), v) for v in distinct]
    return pl.col(column).replace_strict(distinct, mapped, default=None, return_dtype=pl.String)


def _redacted(frame: pl.DataFrame, column: str) -> pl.Expr:
    distinct = frame.get_column(column).drop_nulls().unique().to_list()
    changed = {v: r for v in distinct if (r := redact(v)) != v}
    if not changed:
        return pl.col(column)
    return pl.col(column).replace(list(changed), list(changed.values()))


def validation_frame(frame: pl.DataFrame, spec: SourceSpec) -> pl.DataFrame:
    """The parsed frame as the suite sees it (module docstring)."""
    exprs = []
    for col in spec.columns:
        if col.type in ("code", "code_list"):
            exprs.append(_canonical(frame, col.name, col.codes, col.type == "code_list").alias(col.name))
        elif col.type == "text":
            exprs.append(_redacted(frame, col.name).alias(col.name))
    out = frame.with_columns(exprs) if exprs else frame
    derived = _suite_meta(spec.kind).get("derived") or {}
    if derived:
        out = out.with_columns([pl.sql_expr(sql).alias(name) for name, sql in derived.items()])
    return out


def validate_file_frame(
    frame: pl.DataFrame, spec: SourceSpec, *, file_name: str, export_date: dt.date, validation_dir: Path
) -> SuiteOutcome:
    import pandas as pd

    pandas_frame = pandas_for_gx(validation_frame(frame, spec).to_arrow())
    return get_runtime(validation_dir).validate(
        file_suite_name(spec.kind),
        pandas_frame,
        subject=file_name,
        parameters={"export_date": pd.Timestamp(export_date)},
        index_columns=["_row_number"],
    )


# --------------------------------------------------------------------------------------------
# Outcome -> the parser's error form (so load.py quarantines as for any other error)


def _headers(spec: SourceSpec) -> dict[str, str]:
    headers: dict[str, str] = {}
    for col in spec.columns:
        if col.type == "personnummer":  # never the personnummer itself: say what the value is
            for (raw_name, _), what in zip(col.raw_columns(), ("pseudonym", "födelsedatum", "kön"), strict=True):
                headers[raw_name] = f"{col.header} ({what})"
            continue
        for raw_name, _ in col.raw_columns():
            headers[raw_name] = col.header
    derived = _suite_meta(spec.kind).get("derived") or {}
    for name, sql in derived.items():
        first = sql.split()[0]
        headers[name] = headers.get(first, name)
    return headers


def _errors(outcome: SuiteOutcome, spec: SourceSpec, file_name: str) -> tuple[list[RowError], int, list]:
    headers = _headers(spec)
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


def check_parsed_file(
    result: ParseResult, f: LandingFile, spec: SourceSpec, export_date: dt.date
) -> ParseResult:
    """Ingest hook (see module docstring): `result` unchanged when the suite passes (or the file
    already failed parsing), else a failed result naming the broken expectations."""
    if not result.ok or result.frame is None:
        return result
    outcome = validate_file_frame(
        result.frame, spec, file_name=f.name, export_date=export_date, validation_dir=get_settings().validation_dir
    )
    for w in outcome.warnings:
        log.warning(
            "%s: quality warning %s (%s rows): %s", f.name, w.label, w.unexpected_count, w.why
        )
    if outcome.ok:
        log.info("%s: suite %s passed (%d expectations, %.2f s)", f.name, outcome.suite,
                 len(outcome.expectations), outcome.duration_s)
        return result
    errors, count, summary = _errors(outcome, spec, f.name)
    return ParseResult(frame=None, errors=errors, error_count=count, summary=summary, rows=result.rows)
