"""A source kind's suite (`raw_<kind>`) on one parsed file, before raw.

Ingest runs `validate_file_frame` on each file after the parser read, typed and validated it and
before its rows are appended to `raw.<kind>` (pipelines/ingest/file_suite.py). A failed blocking
(critical) expectation quarantines the file like any other bad file, with the expectation, its
reason and the offending rows named in the reason file, under the export's headers
(`suite_headers`). Warnings are logged and kept in the data docs and the summary.

The frame GX sees is the parsed frame with three changes, all for the suite's sake:
- a `code` cell is written in the seed's spelling when it matches a code case-insensitively (the
  parser accepts any letter case; staging normalises it), a `code_list` cell is rewritten as its
  codes joined by ", " — so the suite's value sets are exactly the seed's codes;
- free-text cells are passed through `redact`, so no personnummer typed into a wrong column can
  reach a stored validation result or the data docs;
- derived columns of the suite (e.g. närvaro over plan) are added.

Two steps per file, because GX on pandas costs ~1.5 s per million rows (a 4 M-row attendance
file: 6 s, and a copy of the frame in pandas) while nearly all its expectations look at one
value of a row (or one pair of values), which repeat a lot:
1. `passes_on_every_row`: the suite's expectations evaluated by Polars on every row, cautiously
   (an expectation or argument it does not know, or any doubt, counts as a failure);
2. GX itself validates either the whole frame, when step 1 found or suspected a failure -- the
   outcome, the reason file, the warnings and the stored result are then those of a plain run --
   or else the file's value cover (`value_cover`): the first row of every distinct value of
   every column a one-value expectation looks at, and of every distinct pair of a pair
   expectation. A one-value expectation passes on the cover exactly when it passes on every
   row, so GX still judges every value in the file; the uniqueness expectations, which need
   all rows, are enforced on every row by step 1. Should GX fail anything on the cover, it
   validates the whole frame too (not expected: it would mean step 1 is wrong somewhere).
The cover run stores GX's BASIC result (counts; there are no offending rows to list) counting
the cover's rows (`element_count`); `index.jsonl` and the refresh summary count the file's
rows. A run on the whole frame stores the SUMMARY result, with its offending rows.
3. `validate_file_frames`: small files of one kind and export date take step 1 each, and those
   that pass share one GX run on their covers together (GX costs ~0.15-0.2 s a run however few
   rows it sees); the others, or all of them should the joint run fail, are validated one by
   one as above. A one-value expectation passes on the joint covers exactly when it passes on
   each; a uniqueness expectation can fail on them where no file breaks it (the same rows in
   two exports), hence the fallback.

The mart suites take the same two steps (`validated_on_cover`, called by
`pipelines.quality.checks.validate_mart`), on frames whose text columns are categoricals.

It is one module because the two steps must agree on every expectation: the Polars pass and
the value cover are only safe while they are read next to each other.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.privacy import redact
from pipelines.quality.build_suites import file_suite_name
from pipelines.quality.runtime import SuiteOutcome, get_runtime, load_suite_json
from pipelines.sources.spec import SourceSpec, normalize_code

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

_SUITES: dict[str, dict[str, Any]] = {}


def _suite(kind: str) -> dict[str, Any]:
    """The committed suite JSON of the kind (read once per process)."""
    name = file_suite_name(kind)
    if name not in _SUITES:
        _SUITES[name] = load_suite_json(name)
    return _SUITES[name]


def _suite_meta(kind: str) -> dict[str, Any]:
    return _suite(kind)["meta"]["finsam"]


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
    if mapped == distinct:  # already in the seed's spelling (the usual case): no copy
        return pl.col(column)
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
    """The kind's suite on one parsed file: Polars on every row, then GX on the value cover, or
    GX on every row when anything failed (module docstring)."""
    checked = validation_frame(frame, spec)
    del frame
    cover = clean_cover(checked, _suite(spec.kind)["expectations"], {"export_date": export_date})
    return _validated(checked, cover, spec, file_name, export_date, validation_dir)


def validate_file_frames(
    frames: list[tuple[pl.DataFrame, str]], spec: SourceSpec, *, export_date: dt.date, validation_dir: Path
) -> list[SuiteOutcome]:
    """`validate_file_frame` for several parsed files of one kind and export date: the files
    whose every row passes step 1 share one GX run on their value covers (module docstring,
    step 3), the others are validated one by one. An outcome per file, in order."""
    expectations = _suite(spec.kind)["expectations"]
    checked = [(validation_frame(frame, spec), name) for frame, name in frames]
    covers = [clean_cover(frame, expectations, {"export_date": export_date}) for frame, _ in checked]
    outcomes: list[SuiteOutcome | None] = [None] * len(frames)
    joint = [i for i, cover in enumerate(covers) if cover is not None]
    if len(joint) > 1:
        files = [(checked[i][1], checked[i][0].height) for i in joint]
        subject = f"{files[0][0]} +{len(files) - 1}"
        run = _gx_run(spec, subject, export_date, validation_dir, rows=sum(n for _, n in files), files=files)
        outcome = run(pl.concat([covers[i] for i in joint], how="vertical_relaxed"), samples=False)
        if outcome.ok and not outcome.warnings:
            for i, (name, rows) in zip(joint, files, strict=True):
                outcomes[i] = replace(outcome, subject=name, rows=rows, files=len(files))
        else:
            # e.g. the same rows in an older and a newer export of one förbund: unique in each
            # file, not in both together
            log.info(
                "%s: GX on the joint value covers failed %s; validating file by file",
                subject,
                [e.label for e in outcome.expectations if not e.success],
            )
    return [
        outcome if outcome is not None else _validated(frame, cover, spec, name, export_date, validation_dir)
        for outcome, cover, (frame, name) in zip(outcomes, covers, checked, strict=True)
    ]


def _validated(
    checked: pl.DataFrame,
    cover: pl.DataFrame | None,
    spec: SourceSpec,
    file_name: str,
    export_date: dt.date,
    validation_dir: Path,
) -> SuiteOutcome:
    """Step 2 for one file: GX on its value cover when step 1 found every row clean (`cover`)
    and GX agrees there, else GX on every row."""
    run = _gx_run(spec, file_name, export_date, validation_dir, rows=checked.height)
    outcome = None if cover is None else confirmed_on_cover(cover, run, subject=file_name, rows=checked.height)
    return outcome if outcome is not None else run(checked)


def _gx_run(
    spec: SourceSpec,
    subject: str,
    export_date: dt.date,
    validation_dir: Path,
    *,
    rows: int,
    files: list[tuple[str, int]] | None = None,
) -> Callable[..., SuiteOutcome]:
    """`run(gx_frame, samples=...)`: GX's validation of a frame of the kind's suite columns,
    stored for `subject` (of `rows` rows in all)."""
    import pandas as pd

    return get_runtime(validation_dir).runner(
        file_suite_name(spec.kind),
        subject=subject,
        rows=rows,
        index_columns=["_row_number"],
        parameters={"export_date": pd.Timestamp(export_date)},
        files=files or (),
    )


def validated_on_cover(
    frame: pl.DataFrame,
    expectations: list[dict[str, Any]],
    parameters: dict[str, Any],
    run: Callable[..., SuiteOutcome],
    *,
    subject: str,
) -> SuiteOutcome | None:
    """Steps 1 and 2 of the module docstring: GX's outcome on the value cover of `frame` when
    every row surely passes and GX agrees on the cover; None when GX must validate every row.
    `run(gx_frame, samples=...)` validates a frame of the suite's columns."""
    cover = clean_cover(frame, expectations, parameters)
    return None if cover is None else confirmed_on_cover(cover, run, subject=subject, rows=frame.height)


def clean_cover(
    frame: pl.DataFrame, expectations: list[dict[str, Any]], parameters: dict[str, Any]
) -> pl.DataFrame | None:
    """Step 1: the value cover of `frame` when Polars finds every row clean, else None."""
    if not frame.height:
        return None
    cover = frame[value_cover(frame, expectations)]
    return cover if passes_on_every_row(frame, cover, expectations, parameters) else None


def confirmed_on_cover(
    cover: pl.DataFrame, run: Callable[..., SuiteOutcome], *, subject: str, rows: int
) -> SuiteOutcome | None:
    """Step 2 on the value cover of a clean frame of `rows` rows: GX's outcome when it passes
    there too; None (and an error logged) when GX must validate every row."""
    outcome = run(cover, samples=False)  # expected to pass: no offending rows to list
    if outcome.ok and not outcome.warnings:
        log.debug("%s: GX validated the value cover, %d of %d rows", subject, cover.height, rows)
        return outcome
    log.error(
        "%s: the every-row check of %s passed but GX failed %s on the value cover; validating every row",
        subject,
        outcome.suite,
        [e.label for e in outcome.expectations if not e.success],
    )
    return None


# --------------------------------------------------------------------------------------------
# The value cover and the every-row check (module docstring)

# GX expectation type -> the keyword arguments `passes_on_every_row` evaluates exactly. Any
# other type or argument (e.g. `mostly`, `row_condition`) makes it answer False, so GX validates
# every row.
# With these arguments the outcome depends on one value (or pair) per row: the expectation holds
# on a set of rows exactly when it holds on every part of it (also what lets checks._sliceable
# validate a big mart in parts).
ONE_VALUE_EXPECTATIONS: dict[str, frozenset[str]] = {
    "expect_column_values_to_not_be_null": frozenset({"column"}),
    "expect_column_values_to_be_between": frozenset({"column", "min_value", "max_value"}),
    "expect_column_values_to_be_in_set": frozenset({"column", "value_set"}),
    "expect_column_values_to_match_regex": frozenset({"column", "regex"}),
    "expect_column_pair_values_a_to_be_greater_than_b": frozenset(
        {"column_A", "column_B", "or_equal", "ignore_row_if"}
    ),
}
_EVERY_ROW: dict[str, frozenset[str]] = {  # the outcome depends on all rows together
    "expect_column_values_to_be_unique": frozenset({"column"}),
    "expect_compound_columns_to_be_unique": frozenset({"column_list", "ignore_row_if"}),
}
_TABLE: dict[str, frozenset[str]] = {
    "expect_table_columns_to_match_set": frozenset({"column_set", "exact_match"}),
}
_EVALUATED = {**ONE_VALUE_EXPECTATIONS, **_EVERY_ROW, **_TABLE}
_FLOATS = (pl.Float32, pl.Float64)
_NUMERIC = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64, *_FLOATS)


def value_domain(e: dict[str, Any]) -> tuple[str, ...] | None:
    """The column(s) whose value (pair) decides a one-value expectation on a row."""
    kw = e.get("kwargs") or {}
    if e["type"] not in ONE_VALUE_EXPECTATIONS:
        return None
    if "column_A" in kw and "column_B" in kw:
        return (kw["column_A"], kw["column_B"])
    return (kw["column"],) if "column" in kw else None


def value_cover(frame: pl.DataFrame, expectations: list[dict[str, Any]]) -> pl.Series:
    """Row positions (ascending) holding every distinct value of every column a one-value
    expectation looks at, and every distinct pair of a pair expectation; at least one row.

    A one-value expectation passes on these rows exactly when it passes on every row."""
    domains = list(dict.fromkeys(d for e in expectations if (d := value_domain(e)) and set(d) <= set(frame.columns)))
    firsts = (
        frame.select(
            [
                (pl.col(d[0]) if len(d) == 1 else pl.struct(list(d))).arg_unique().implode().alias(f"d{i}")
                for i, d in enumerate(domains)
            ]
        )
        if domains
        else None
    )
    parts = [pl.Series([0], dtype=pl.UInt32)]
    if firsts is not None:
        parts += [firsts.get_column(c).explode().cast(pl.UInt32) for c in firsts.columns]
    return pl.concat(parts).unique().sort()


class _CannotEvaluate(Exception):
    """An expectation `passes_on_every_row` does not evaluate exactly: GX validates every row."""


def _bound(value: Any, dtype: pl.DataType, parameters: dict[str, Any]) -> pl.Expr:
    """A between bound as a Polars literal comparable with the column, as GX compares it."""
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        value = parameters.get(value["$PARAMETER"])
        if value is None:
            raise _CannotEvaluate("unknown parameter")
    if dtype == pl.Date:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            if value.time() != dt.time() or value.tzinfo is not None:
                raise _CannotEvaluate("a bound with a time of day on a date column")
            value = value.date()
        if type(value) is not dt.date:
            raise _CannotEvaluate("a non-date bound on a date column")
        return pl.lit(value, dtype=pl.Date)
    if dtype in _NUMERIC and isinstance(value, (int, float)) and not isinstance(value, bool):
        return pl.lit(value)
    raise _CannotEvaluate(f"a bound {value!r} on a {dtype} column")


def _broken(frame: pl.DataFrame, kind: str, kw: dict[str, Any], parameters: dict[str, Any]) -> pl.Expr | bool:
    """True (an expression or a constant) when some row of `frame` may break the expectation;
    cautious: a doubt counts as broken."""
    schema = frame.schema
    columns = [kw["column"]] if "column" in kw else list(kw.get("column_list") or [])
    columns += [kw[k] for k in ("column_A", "column_B") if k in kw]
    if any(c not in schema for c in columns):
        raise _CannotEvaluate("a column the frame lacks")  # GX names it

    def value(name: str) -> pl.Expr:
        # pandas counts NaN as missing and -0.0 as 0.0: so do these checks.
        return pl.col(name).fill_nan(None) + 0.0 if schema[name] in _FLOATS else pl.col(name)

    def has_nan(name: str) -> pl.Expr:
        return pl.col(name).is_nan().any() if schema[name] in _FLOATS else pl.lit(False)

    if kind == "expect_table_columns_to_match_set":
        return set(frame.columns) != set(kw["column_set"])
    if kind == "expect_column_values_to_not_be_null":
        return pl.col(kw["column"]).is_null().any() | has_nan(kw["column"])
    if kind == "expect_column_values_to_be_between":
        c, v = kw["column"], pl.col(kw["column"])
        low, high = kw.get("min_value"), kw.get("max_value")
        if low is None and high is None:
            raise _CannotEvaluate("between without bounds")
        broken = has_nan(c)
        if low is not None:
            broken = broken | (v < _bound(low, schema[c], parameters)).any()
        if high is not None:
            broken = broken | (v > _bound(high, schema[c], parameters)).any()
        return broken
    if kind == "expect_column_values_to_be_in_set":
        c, values = kw["column"], list(kw["value_set"])
        # texts among texts (a mart's text columns come as categoricals), or flags among flags
        texts = schema[c] in (pl.String, pl.Categorical) and all(isinstance(x, str) for x in values)
        flags = schema[c] == pl.Boolean and all(isinstance(x, bool) for x in values)
        if not (texts or flags):
            raise _CannotEvaluate("in_set other than texts among texts or flags among flags")
        return (pl.col(c).is_not_null() & ~pl.col(c).is_in(values)).any()
    if kind == "expect_column_values_to_match_regex":
        c = kw["column"]
        if schema[c] != pl.String:
            raise _CannotEvaluate("a regex on a non-text column")
        # Python's `re`, as pandas uses it or pyarrow's RE2; they differ in little more than `$`
        # before a final line break, so a line break counts as broken.
        pattern = re.compile(kw["regex"])
        return any(
            "\n" in v or "\r" in v or pattern.search(v) is None
            for v in frame.get_column(c).drop_nulls().unique().to_list()
        )
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        if not (schema[a] == schema[b] == pl.Date or (schema[a] in _NUMERIC and schema[b] in _NUMERIC)):
            raise _CannotEvaluate("a pair of different types")
        mode = kw.get("ignore_row_if") or "neither"  # not given: the strictest reading
        va, vb = value(a), value(b)
        bad = (va < vb) if kw.get("or_equal") else (va <= vb)
        if mode == "either_value_is_missing":
            return (va.is_not_null() & vb.is_not_null() & bad).any()
        if mode in ("both_values_are_missing", "neither"):
            considered = pl.lit(True) if mode == "neither" else ~(va.is_null() & vb.is_null())
            return (considered & (va.is_null() | vb.is_null() | bad)).any()
        raise _CannotEvaluate(f"ignore_row_if={mode}")
    if kind == "expect_column_values_to_be_unique":
        v = value(kw["column"])
        return v.filter(v.is_not_null()).is_duplicated().any()
    if kind == "expect_compound_columns_to_be_unique":
        # Two rows with equal keys, also where GX would skip all-missing keys: a doubt at worst.
        # By 64-bit row hashes: a collision is a doubt too (GX then looks at every row).
        keys = frame.select([value(c) for c in kw["column_list"]]).hash_rows()
        return keys.n_unique() != frame.height
    raise _CannotEvaluate(kind)  # pragma: no cover - _EVALUATED lists the kinds above


def passes_on_every_row(
    frame: pl.DataFrame, cover: pl.DataFrame, expectations: list[dict[str, Any]], parameters: dict[str, Any]
) -> bool:
    """True when every expectation surely passes on every row of `frame`; False when one fails,
    may fail, or is not one this module evaluates exactly. One-value expectations are evaluated
    on `cover` (the value cover of `frame`: the same verdict, far fewer rows), the others on
    `frame`."""
    on_cover: list[pl.Expr] = []
    on_frame: list[pl.Expr] = []
    try:
        for e in expectations:
            kw = dict(e.get("kwargs") or {})
            if e["type"] not in _EVALUATED or set(kw) - _EVALUATED[e["type"]]:
                return False
            one_value = e["type"] in ONE_VALUE_EXPECTATIONS
            broken = _broken(cover if one_value else frame, e["type"], kw, parameters)
            if isinstance(broken, bool):
                if broken:
                    return False
                continue
            checks = on_cover if one_value else on_frame
            checks.append(broken.alias(f"e{len(checks)}"))
        return not any(any(on.select(checks).row(0)) for on, checks in ((cover, on_cover), (frame, on_frame)) if checks)
    except _CannotEvaluate:
        return False
    except (pl.exceptions.PolarsError, ValueError, TypeError, re.error) as exc:
        log.info("every-row check not evaluated (%s); GX validates every row", exc)
        return False


# --------------------------------------------------------------------------------------------
# The headers a user knows (ingest names them in a quarantined file's reason file)


def suite_headers(spec: SourceSpec) -> dict[str, str]:
    """The export's header for each column of the frame the suite sees: the columns derived from
    a personnummer say what they hold (never the personnummer), and a column the suite derives
    is named by the column it is computed from."""
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
