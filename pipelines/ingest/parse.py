"""Type and validate a read file against its kind's spec (vectorised Polars, no per-row Python).

Header texts are mapped to canonical column names through the spec's aliases (case-, accent-
and punctuation-insensitive); unknown columns are ignored. Every column is trimmed (empty ->
null), defaulted, typed, and checked. Every problem becomes a `RowError` naming the file, the
row (line number as a person sees it; Excel row for xlsx), the column by the file's own header
and the offending value -- except personnummer, whose value is never shown anywhere.

Code lists, steps and personnummer are checked on the DISTINCT values of a column (a few
thousand at most), then mapped back with vectorised membership tests or a join.

It is one module because `parse_frame` is one pass over one frame: the typing and the checks
of every column work on that frame and add to one error list, and the helpers are parts of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.ingest.personnummer import PersonnummerMemo, pseudonymise_column
from pipelines.ingest.readers import ReadResult, drop_rows_where_all_null
from pipelines.privacy import redact
from pipelines.sources.spec import ColumnSpec, SourceSpec, normalize_code, normalize_header

MAX_ERRORS = 50
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel serial 1 = 1900-01-01 (with Excel's 1900 leap bug)

_POLARS_TYPES: dict[str, pl.DataType] = {
    "text": pl.String,
    "code": pl.String,
    "code_list": pl.String,
    "date": pl.Date,
    "yearmonth": pl.Date,
    "integer": pl.Int64,
    "decimal": pl.Float64,
    "steg": pl.Int32,
}

_TYPE_PROBLEMS = {
    "date": "ogiltigt datum (väntade ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller ett Excel-datum)",
    "yearmonth": "ogiltig period (väntade ÅÅÅÅMM)",
    "integer": "ogiltigt heltal",
    "decimal": "ogiltigt tal",
}


@dataclass(frozen=True)
class RowError:
    """One validation error. `str()` gives the message; it is redacted of personnummer."""

    file: str
    row: int | None
    column: str | None
    problem: str
    value: str | None = None

    def __str__(self) -> str:
        return self.describe(with_file=True)

    def describe(self, *, with_file: bool = True) -> str:
        where = [self.file] if with_file else []
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column is not None:
            where.append(f'kolumn "{self.column}"')
        message = (", ".join(where) + ": " if where else "") + self.problem
        if self.value is not None:
            message += f' (värde: "{self.value}")'
        return redact(message)


@dataclass(frozen=True)
class ParseContext:
    file_name: str
    # A date after this is in the future (not_future); `export_date_source` says where it came from.
    export_date: dt.date
    export_date_source: str
    refresh_day: dt.date
    key: bytes
    # Insats-IDs of the insats register; None = skip the must_be_registered check.
    registered_insats_ids: frozenset[str] | None = None
    # Personnummer seen in earlier files of this ingest run (same key and refresh day), if any.
    personnummer_memo: PersonnummerMemo | None = None


@dataclass
class ParseResult:
    # Typed data columns (raw names, spec order) + _row_number [+ _period_month]; None on errors.
    # Kinds with a personnummer come clustered by pseudonym (file order: sort by _row_number).
    frame: pl.DataFrame | None
    errors: list[RowError] = field(default_factory=list)  # at most MAX_ERRORS, in row order
    error_count: int = 0  # all errors, including those not listed
    summary: list[tuple[str | None, str, int]] = field(default_factory=list)  # (column, problem, count)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


@dataclass
class _Check:
    column: str | None  # the file's header text
    problem: pl.Expr  # a String expression (usually a literal)
    summary: str
    mask: pl.Expr
    value: pl.Expr | None = None  # String expression shown as the offending value
    order: int = 0


# --------------------------------------------------------------------------------------------
# Typed conversions (String expression in, typed expression out; null when invalid)


def _clean(expr: pl.Expr) -> pl.Expr:
    trimmed = expr.str.strip_chars()
    return pl.when(trimmed.str.len_bytes() == 0).then(None).otherwise(trimmed)


def _number_text(t: pl.Expr) -> pl.Expr:
    # Drop space / NBSP / narrow NBSP thousands separators, accept a Unicode minus.
    return t.str.replace_all(r"[\s\u00a0\u202f]", "").str.replace_all("\u2212", "-", literal=True)


def parse_date_expr(t: pl.Expr) -> pl.Expr:
    iso = t.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$", 1).str.to_date(
        "%Y-%m-%d", strict=False
    )
    compact = pl.when(t.str.contains(r"^\d{8}$")).then(t.str.to_date("%Y%m%d", strict=False))
    # Excel serial day numbers (5 digits: 1927-05-18 .. 2173-10-14), fraction = time of day.
    serial_text = pl.when(t.str.contains(r"^\d{5}(?:[.,]\d+)?$")).then(t)
    serial = pl.lit(EXCEL_EPOCH) + pl.duration(
        days=serial_text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False).floor().cast(pl.Int64)
    )
    return pl.coalesce(iso, compact, serial)


def parse_yearmonth_expr(t: pl.Expr) -> pl.Expr:
    ym = pl.when(t.str.contains(r"^\d{4}-?\d{2}$")).then(t.str.replace("-", "", literal=True))
    return (ym + "01").str.to_date("%Y%m%d", strict=False)


def parse_integer_expr(t: pl.Expr) -> pl.Expr:
    s = _number_text(t)
    return (
        pl.when(s.str.contains(r"^[+-]?\d+(?:[.,]0+)?$"))
        .then(s.str.replace(r"[.,]0+$", "").cast(pl.Int64, strict=False))
        .otherwise(None)
    )


def parse_decimal_expr(t: pl.Expr) -> pl.Expr:
    s = _number_text(t)
    return (
        pl.when(s.str.contains(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$"))
        .then(s.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False))
        .otherwise(None)
    )


_CONVERTERS = {
    "date": parse_date_expr,
    "yearmonth": parse_yearmonth_expr,
    "integer": parse_integer_expr,
    "decimal": parse_decimal_expr,
}


def _distinct(frame: pl.DataFrame, column: str) -> list[str]:
    return frame.get_column(column).drop_nulls().unique().to_list()


def _convert(frame: pl.DataFrame, col: ColumnSpec) -> pl.Expr:
    """Typed expression for a date / yearmonth / integer / decimal column.

    Exports repeat values a lot (dates, hours, years), so the conversion runs on the distinct
    values and is mapped back (a hash lookup); for mostly-unique columns it runs directly.
    """
    convert, dtype = _CONVERTERS[col.type], _POLARS_TYPES[col.type]
    distinct = frame.get_column(col.name).drop_nulls().unique()
    if distinct.len() == 0:
        return pl.lit(None, dtype=dtype)
    if distinct.len() > max(10_000, frame.height // 4):
        return convert(pl.col(col.name)).cast(dtype)
    converted = pl.DataFrame({"v": distinct}).select(convert(pl.col("v")).cast(dtype)).to_series()
    return pl.col(col.name).replace_strict(distinct, converted, default=None, return_dtype=dtype)


def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null("")


# --------------------------------------------------------------------------------------------


def _typed_name(name: str) -> str:
    return f"__typed_{name}"


def map_headers(headers: list[str], spec: SourceSpec, file_name: str) -> tuple[dict[str, int], list[RowError]]:
    """canonical name -> index of the file's column; errors for duplicates and missing
    required columns."""
    lookup = spec.header_lookup
    mapping: dict[str, int] = {}
    errors: list[RowError] = []
    for i, header in enumerate(headers):
        name = lookup.get(normalize_header(header))
        if name is None:
            continue
        if name in mapping:
            errors.append(
                RowError(
                    file_name,
                    None,
                    header,
                    f"kolumnen {spec.column(name).header} förekommer två gånger "
                    f'("{headers[mapping[name]]}" och "{header}")',
                )
            )
            continue
        mapping[name] = i
    for col in spec.required_columns:
        if col.name not in mapping:
            aliases = ", ".join(f'"{a}"' for a in col.aliases)
            hint = f" (eller {aliases})" if aliases else ""
            errors.append(RowError(file_name, None, col.header, f'obligatorisk kolumn "{col.header}"{hint} saknas'))
    return mapping, errors


def parse_frame(read: ReadResult, spec: SourceSpec, ctx: ParseContext) -> ParseResult:
    """Map headers, type, validate and pseudonymise `read` against `spec`.

    Returns the typed frame when there is no error, else the errors (first MAX_ERRORS, in row
    order) and their total count. Consumes `read.frame` (cleared to free memory).
    """
    file_name = ctx.file_name
    mapping, header_errors = map_headers(read.headers, spec, file_name)
    if header_errors:
        return ParseResult(
            frame=None,
            errors=header_errors,
            error_count=len(header_errors),
            summary=[(e.column, e.problem, 1) for e in header_errors],
            rows=read.frame.height,
        )
    headers = {c.name: (read.headers[mapping[c.name]] if c.name in mapping else c.header) for c in spec.columns}

    # 1. canonical text columns: trimmed, empty -> null, default filled. Trimming copies a
    # column, so only columns with an empty value or one with outer whitespace are trimmed
    # (looked for among the distinct values: exports repeat values, a regex per cell is slow).
    source_cols = [f"c{mapping[c.name]}" for c in spec.columns if c.name in mapping]
    padded = (
        read.frame.select([pl.col(c).unique().str.contains(r"^\s|\s$|^$").any().alias(c) for c in source_cols]).row(
            0, named=True
        )
        if read.frame.height
        else {}
    )
    text_exprs = []
    for col in spec.columns:
        if col.name in mapping:
            source_name = f"c{mapping[col.name]}"
            expr = _clean(pl.col(source_name)) if padded.get(source_name) else pl.col(source_name)
        else:
            expr = pl.lit(None, dtype=pl.String)
        if col.default is not None:
            expr = expr.fill_null(pl.lit(col.default))
        text_exprs.append(expr.alias(col.name))
    extra = [c for c in read.extra_columns if c in read.frame.columns]
    frame = read.frame.select([*text_exprs, *extra, "_row_number"])
    read.frame = read.frame.clear()  # release the untrimmed copy: large files are big
    # Rows blank after trimming (whitespace-only cells) are blank rows, not rows with errors.
    # Columns with a default are left out of the test (they were just filled).
    blank_test = [c.name for c in spec.columns if c.name in mapping and c.default is None] + extra
    frame = drop_rows_where_all_null(frame, blank_test)

    # 2. typed columns (+ personnummer pseudonyms) and the checks.
    checks: list[_Check] = []
    typed_exprs: list[pl.Expr] = []
    order = {c.name: i for i, c in enumerate(spec.columns)}
    for col in spec.columns:
        header, t, typed = headers[col.name], pl.col(col.name), _typed_name(col.name)
        if col.type in _CONVERTERS:
            typed_exprs.append(_convert(frame, col).alias(typed))
            checks.append(
                _Check(
                    header,
                    pl.lit(_TYPE_PROBLEMS[col.type]),
                    _TYPE_PROBLEMS[col.type],
                    t.is_not_null() & pl.col(typed).is_null(),
                    _text(col.name),
                    order[col.name],
                )
            )
        elif col.type in ("text", "code", "code_list"):
            typed_exprs.append(t.alias(typed))
            if col.type in ("code", "code_list"):
                checks.append(_code_check(frame, col, header, order[col.name]))
        elif col.type == "steg":
            steps = dict(col.steps)
            values = {v: steps.get(normalize_code(v)) for v in _distinct(frame, col.name)}
            typed_exprs.append(
                t.replace_strict(list(values), list(values.values()), default=None, return_dtype=pl.Int32).alias(typed)
                if values
                else pl.lit(None, dtype=pl.Int32).alias(typed)
            )
            problem = f"ogiltigt steg (väntade 1–{len(col.codes)} eller {', '.join(col.codes)})"
            checks.append(
                _Check(
                    header,
                    pl.lit(problem),
                    problem,
                    t.is_not_null() & pl.col(typed).is_null(),
                    _text(col.name),
                    order[col.name],
                )
            )
        elif col.type == "personnummer":
            pass  # below, through a join on the distinct values
        else:  # pragma: no cover - spec.py rejects unknown types
            raise ValueError(col.type)
    frame = frame.with_columns(typed_exprs)

    cluster_key: str | None = None
    for col in spec.columns:
        if col.type != "personnummer":
            continue
        pseudonym_as, birth_as, sex_as = (n for n, _ in col.raw_columns())
        err = f"__pnr_error_{col.name}"
        rank = f"__pnr_rank_{col.name}" if cluster_key is None else None
        frame = pseudonymise_column(
            frame,
            col.name,
            key=ctx.key,
            refresh_day=ctx.refresh_day,
            pseudonym_as=_typed_name(pseudonym_as),
            birth_date_as=_typed_name(birth_as),
            sex_as=_typed_name(sex_as),
            error_as=err,
            rank_as=rank,
            memo=ctx.personnummer_memo,
        )
        cluster_key = cluster_key or rank
        # No value: a personnummer is never shown.
        checks.append(
            _Check(
                headers[col.name],
                pl.col(err),
                "ogiltigt personnummer",
                pl.col(err).is_not_null(),
                None,
                order[col.name],
            )
        )

    # 3. rules on typed values.
    by_name = {c.name: c for c in spec.columns}
    for col in spec.columns:
        header, t, v = headers[col.name], pl.col(col.name), pl.col(_typed_name(col.name))
        o = order[col.name]
        if col.required:
            checks.append(
                _Check(
                    header,
                    pl.lit("värde saknas (obligatorisk kolumn)"),
                    "värde saknas (obligatorisk kolumn)",
                    t.is_null(),
                    None,
                    o,
                )
            )
        if col.min is not None:
            p = f"värdet är mindre än {_fmt_number(col.min)}"
            checks.append(_Check(header, pl.lit(p), p, v < col.min, _text(col.name), o))
        if col.max is not None:
            p = f"värdet är större än {_fmt_number(col.max)}"
            checks.append(_Check(header, pl.lit(p), p, v > col.max, _text(col.name), o))
        if col.pattern is not None:
            p = f"värdet har fel form (mönster {col.pattern})"
            checks.append(
                _Check(header, pl.lit(p), p, t.is_not_null() & ~t.str.contains(col.pattern), _text(col.name), o)
            )
        if col.not_future:
            p = f"datumet är efter filens exportdatum {ctx.export_date.isoformat()} ({ctx.export_date_source})"
            checks.append(_Check(header, pl.lit(p), p, v > pl.lit(ctx.export_date), _text(col.name), o))
        if col.not_before:
            other = by_name[col.not_before]
            other_header = headers[other.name]
            p = f"{header} är före {other_header}"
            checks.append(
                _Check(
                    header,
                    pl.lit(p),
                    p,
                    v < pl.col(_typed_name(other.name)),
                    pl.format("{} ({}: {})", _text(col.name), pl.lit(other_header), _text(other.name)),
                    o,
                )
            )
        if col.max_over:
            other = by_name[col.max_over.column]
            other_header = headers[other.name]
            p = f"{header} är mer än {other_header} + {_fmt_number(col.max_over.plus)}"
            checks.append(
                _Check(
                    header,
                    pl.lit(p),
                    p,
                    v > pl.col(_typed_name(other.name)) + col.max_over.plus,
                    pl.format("{} ({}: {})", _text(col.name), pl.lit(other_header), _text(other.name)),
                    o,
                )
            )
        if col.must_be_registered and ctx.registered_insats_ids is not None:
            registered = sorted(ctx.registered_insats_ids)
            p = "Insats-ID finns inte i insatsregistret (raw.insatser)"
            checks.append(_Check(header, pl.lit(p), p, v.is_not_null() & ~v.is_in(registered), _text(col.name), o))
    for _extra_col in extra[:1]:
        p = "raden har fler fält än rubrikraden (avgränsare i ett värde utan citattecken?)"
        checks.append(
            _Check(
                None,
                pl.lit(p),
                p,
                pl.any_horizontal([_clean(pl.col(c)).is_not_null() for c in extra]),
                None,
                len(order),
            )
        )

    errors, error_count, summary = _collect(frame, checks, file_name)
    if error_count:
        return ParseResult(frame=None, errors=errors, error_count=error_count, summary=summary, rows=frame.height)
    rows = frame.height
    # Memory: the text columns are done with. Dropped in place, since any select on this frame
    # copies every column it keeps (the personnummer columns are chunked unlike the rest).
    for name in [c for c in frame.columns if not c.startswith("__typed_") and c not in (cluster_key, "_row_number")]:
        frame.drop_in_place(name)
    out = _output(frame, spec, keep=[cluster_key] if cluster_key else [])
    del frame
    if cluster_key is not None:
        # Rows of one person together (file order within): DuckDB then dictionary-compresses the
        # 64-character pseudonyms (a fraction of the size, and no long checkpoint). File order stays available through _row_number.
        # A stable radix arg-sort of the UInt32 rank keeps file order within a person, and is far
        # cheaper than a multi-column sort; rechunk first, since a gather across the CSV
        # reader's many chunks is an order of magnitude slower. Column by column, each source
        # column released once gathered: one copy of the frame at a time.
        rank = out.get_column(cluster_key).fill_null(np.iinfo(np.uint32).max).to_numpy()
        order = pl.Series(np.argsort(rank, kind="stable"), dtype=pl.UInt32 if len(rank) < 2**32 else pl.UInt64)
        del rank
        out = out.drop(cluster_key)
        gathered = []
        for name in out.columns:
            gathered.append(out.get_column(name).rechunk().gather(order))
            out = out.drop(name)
        out = pl.DataFrame(gathered)
    return ParseResult(frame=out, rows=rows)


def _code_check(frame: pl.DataFrame, col: ColumnSpec, header: str, order: int) -> _Check:
    bad: list[str] = []
    for value in _distinct(frame, col.name):
        items = value.split(",") if col.type == "code_list" else [value]
        if any(normalize_code(i) not in col.code_keys for i in items if i.strip()):
            bad.append(value)
    allowed = ", ".join(col.codes)
    problem = f"okänd kod (kodlista {col.kodlista}: {allowed})"
    if col.type == "code_list":
        problem = f"okänd kod i listan (kommaseparerad; kodlista {col.kodlista}: {allowed})"
    mask = pl.col(col.name).is_in(bad) if bad else pl.lit(False)
    return _Check(header, pl.lit(problem), problem, mask, _text(col.name), order)


def _collect(
    frame: pl.DataFrame, checks: list[_Check], file_name: str
) -> tuple[list[RowError], int, list[tuple[str | None, str, int]]]:
    if not checks or frame.height == 0:
        return [], 0, []
    counts = frame.select([c.mask.fill_null(False).sum().alias(f"m{i}") for i, c in enumerate(checks)]).row(0)
    failing = [(c, n) for c, n in zip(checks, counts, strict=True) if n]
    if not failing:
        return [], 0, []
    errors: list[tuple[int, int, RowError]] = []
    for check, _ in failing:
        value = check.value if check.value is not None else pl.lit(None, dtype=pl.String)
        sample = (
            frame.filter(check.mask.fill_null(False))
            .head(MAX_ERRORS)
            .select(pl.col("_row_number"), check.problem.alias("problem"), value.alias("value"))
        )
        for row, problem, val in sample.iter_rows():
            # Redacted at construction too, so not even repr(error) can show a personnummer.
            shown = None if val is None else redact(val)
            errors.append((row, check.order, RowError(file_name, row, check.column, problem, shown)))
    errors.sort(key=lambda e: (e[0], e[1]))
    summary = [(c.column, c.summary, int(n)) for c, n in failing]
    return [e for _, _, e in errors[:MAX_ERRORS]], int(sum(n for _, n in failing)), summary


def _output(frame: pl.DataFrame, spec: SourceSpec, keep: Iterable[str] = ()) -> pl.DataFrame:
    exprs: list[pl.Expr] = [pl.col(c) for c in keep]
    for col in spec.columns:
        for raw_name, _ in col.raw_columns():
            source = _typed_name(raw_name) if col.type == "personnummer" else _typed_name(col.name)
            dtype = _POLARS_TYPES.get(col.type)
            expr = pl.col(source)
            if dtype is not None:
                expr = expr.cast(dtype)
            exprs.append(expr.alias(raw_name))
    exprs.append(pl.col("_row_number"))
    if spec.month_of is not None:
        mo = spec.month_of
        if mo.date_column:
            exprs.append(pl.col(_typed_name(mo.date_column)).dt.month_start().alias("_period_month"))
        else:
            exprs.append(
                pl.date(pl.col(_typed_name(mo.year_column)), pl.col(_typed_name(mo.month_column)), 1).alias(
                    "_period_month"
                )
            )
    return frame.select(exprs)


def error_lines(errors: Iterable[RowError]) -> list[str]:
    return [str(e) for e in errors]
