"""Read any export (.csv / .txt / .xlsx) into a Polars DataFrame of strings.

Forgiving in form (docs/sources.md): encoding UTF-8 (with or without BOM), Windows-1252 or
ISO-8859-1 (detected); delimiter `;`, `,` or tab (detected from the header line); a preamble
before the header row (title, `Exekvering: ÅÅÅÅ-MM-DD HH:MM:SS`, blank lines) and a trailing
total row (`Slutsumma`, `Summa`, `Totalt`) are skipped; fully blank rows are dropped.

The header row is the first row (of the first HEADER_SCAN_ROWS) that holds every required
column of the kind, after alias matching. The result keeps every column of the file as
`c0..c<n-1>` (strings, null for empty) with the file's own header texts in `headers`, and a
`_row_number`: the row's line number as a person sees it in the file (1 = first line, counting
preamble and header), for xlsx the Excel row number.

Large CSVs are read by Polars' CSV reader straight from the file when it is UTF-8 (one
streaming validation pass first) or from the transcoded bytes otherwise; nothing here loops
over rows in Python.

It is one module because CSV and xlsx share the header search, the preamble and total-row
rules and the result type, and `read_file` is the one way in.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.privacy import redact
from pipelines.sources.spec import SourceSpec, normalize_header

HEADER_SCAN_ROWS = 50
# Extra columns read beyond the header width: a value there means a row with more fields than
# the header (a broken line, e.g. an unquoted delimiter inside a value) and is reported.
EXTRA_FIELDS = 4
DELIMITERS = (";", "\t", ",")
_CHUNK = 16 << 20
_HEAD_BYTES = 1 << 18

_EXEKVERING = re.compile(
    r"Exekvering\s*:?\s*(\d{4}-\d{2}-\d{2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", re.IGNORECASE
)
_TOTAL_ROW = re.compile(r"^\s*(slutsumma|summa|totalt)\b", re.IGNORECASE)
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Bytes that Windows-1252 leaves undefined; a file containing them is read as ISO-8859-1.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


class ReadError(Exception):
    """The file cannot be read as a table of the kind (a file-level error; message redacted)."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


@dataclass
class ReadResult:
    frame: pl.DataFrame
    headers: list[str]
    header_row: int
    exported_at: dt.datetime | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    extra_columns: list[str] = field(default_factory=list)

    @property
    def data_columns(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.headers))]


# --------------------------------------------------------------------------------------------
# Header search


def _match_cells(cells: list[str | None], lookup: dict[str, str]) -> set[str]:
    return {lookup[k] for k in (normalize_header(c) for c in cells if c) if k in lookup}


def find_header(rows: list[list[str | None]], spec: SourceSpec) -> int | None:
    """Index of the header row among `rows`: the first row holding every required column;
    failing that, the row matching the most known columns (parse then names the missing ones);
    None when no row matches any known column."""
    lookup = spec.header_lookup
    required = {c.name for c in spec.required_columns}
    best, best_count = None, 0
    for i, cells in enumerate(rows):
        matched = _match_cells(cells, lookup)
        if matched and required <= matched:
            return i
        if len(matched) > best_count:
            best, best_count = i, len(matched)
    return best


def parse_exported_at(lines: list[str]) -> dt.datetime | None:
    for line in lines:
        m = _EXEKVERING.search(line)
        if m:
            try:
                day = dt.date.fromisoformat(m.group(1))
            except ValueError:
                continue
            hh, mm, ss = (int(g) if g else 0 for g in m.group(2, 3, 4))
            try:
                return dt.datetime.combine(day, dt.time(hh, mm, ss))
            except ValueError:
                return dt.datetime.combine(day, dt.time())
    return None


def _no_header_error(spec: SourceSpec) -> ReadError:
    expected = ", ".join(f'"{c.header}"' for c in spec.required_columns)
    return ReadError(
        f"hittar ingen rubrikrad bland de första {HEADER_SCAN_ROWS} raderna (väntade kolumnerna {expected})"
    )


# --------------------------------------------------------------------------------------------
# Row clean-up shared by CSV and Excel


def drop_rows_where_all_null(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Filter only when there is something to drop (a filter copies every column)."""
    blank = pl.all_horizontal([pl.col(c).is_null() for c in columns])
    if not columns or not frame.select(blank.any()).item():
        return frame
    return frame.filter(~blank)


def _drop_blank_and_total_rows(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Drop empty rows (every cell null) and trailing total rows (first non-empty cell starts
    with Slutsumma / Summa / Totalt). Rows of whitespace-only cells are dropped by parse after
    trimming (a cheap null test here instead of a regex over every cell of a big file)."""
    if frame.height == 0:
        return frame
    frame = drop_rows_where_all_null(frame, columns)
    while frame.height:
        last = frame.row(frame.height - 1, named=True)
        first = next((str(last[c]) for c in columns if last[c] is not None and str(last[c]).strip()), "")
        if first and not _TOTAL_ROW.match(first):
            break
        frame = frame.slice(0, frame.height - 1)  # a total row, or a whitespace-only last row
    return frame


def _header_texts(cells: list[str | None]) -> list[str]:
    headers = [(c or "").strip() for c in cells]
    while headers and headers[-1] == "":
        headers.pop()
    return headers


# --------------------------------------------------------------------------------------------
# CSV / TXT


@dataclass
class _Encoding:
    name: str  # "utf-8" | "utf-8-sig" | "utf-16" | "cp1252" | "latin-1"
    has_quote: bool


def _detect_encoding(path: Path) -> _Encoding:
    """Strict UTF-8 validation of the whole file (streamed, no full copy); otherwise
    Windows-1252 or ISO-8859-1 (charset-normalizer restricted to those two, then a guard for
    bytes cp1252 leaves undefined). å ä ö are the same bytes in both single-byte codecs."""
    has_quote = False
    with path.open("rb") as fh:
        first = fh.read(4)
        if first.startswith(_UTF16_BOMS):
            return _Encoding("utf-16", has_quote=True)
        bom = first.startswith(_UTF8_BOM)
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        valid = True
        while chunk := fh.read(_CHUNK):
            if not has_quote and b'"' in chunk:
                has_quote = True
            if valid and not (chunk.isascii() and decoder.getstate()[0] == b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid = False
            if not valid and has_quote:
                break
        if valid:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid = False
    if valid:
        return _Encoding("utf-8-sig" if bom else "utf-8", has_quote)
    # Not UTF-8: the loop above read on to the first quote or to the end, so has_quote is known.
    return _Encoding(_single_byte_codec(path), has_quote)


def _single_byte_codec(path: Path) -> str:
    with path.open("rb") as fh:
        sample = fh.read(1 << 20)
    if any(b in sample for b in _CP1252_UNDEFINED):
        return "latin-1"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=["cp1252", "latin_1"]).best()
    except Exception:  # noqa: BLE001 - detection is best effort; the default is safe for å ä ö
        best = None
    if best is not None and best.encoding == "latin_1":
        return "latin-1"
    return "cp1252"


def _transcode_to_utf8(path: Path, encoding: str) -> bytes:
    """The file re-encoded as UTF-8, decoded chunk by chunk (peak memory ~ one output copy)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    chunks: list[bytes] = []
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            chunks.append(decoder.decode(chunk).encode("utf-8"))
        chunks.append(decoder.decode(b"", final=True).encode("utf-8"))
    data = b"".join(chunks)
    chunks.clear()
    return data


def _read_head_lines(path: Path, encoding: str) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if encoding == "utf-16":
        text = head.decode("utf-16", errors="replace")
    else:
        cut = head.rfind(b"\n")
        if cut >= 0 and len(head) == _HEAD_BYTES:
            head = head[: cut + 1]
        text = head.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines[:HEADER_SCAN_ROWS]]


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _find_csv_header(lines: list[str], spec: SourceSpec) -> tuple[int, str] | None:
    """(line index, delimiter) of the header: per line, the delimiter whose split matches the
    required columns (or the most known columns)."""
    lookup = spec.header_lookup
    required = {c.name for c in spec.required_columns}
    best: tuple[int, str] | None = None
    best_count = 0
    for i, line in enumerate(lines):
        candidates = []
        for delimiter in DELIMITERS:
            if delimiter not in line and len(spec.columns) > 1:
                continue
            matched = _match_cells(_split(line, delimiter), lookup)
            candidates.append((required <= matched and bool(matched), len(matched), delimiter))
        if not candidates:
            continue
        qualifies, count, delimiter = max(candidates, key=lambda c: (c[0], c[1]))
        if qualifies:
            return i, delimiter
        if count > best_count:
            best, best_count = (i, delimiter), count
    return best


def read_csv(path: Path, spec: SourceSpec) -> ReadResult:
    if path.stat().st_size == 0:
        raise ReadError("filen är tom")
    enc = _detect_encoding(path)
    lines = _read_head_lines(path, enc.name)
    found = _find_csv_header(lines, spec)
    if found is None:
        raise _no_header_error(spec)
    header_index, delimiter = found
    headers = _header_texts(_split(lines[header_index], delimiter))
    if not headers:
        raise _no_header_error(spec)
    exported_at = parse_exported_at(lines[:header_index])

    data_cols = [f"c{i}" for i in range(len(headers))]
    extra_cols = [f"__extra_{k}" for k in range(EXTRA_FIELDS)]
    schema = dict.fromkeys(data_cols + extra_cols, pl.String)
    if enc.name in ("utf-8", "utf-8-sig"):
        source: Path | bytes = path  # Polars reads the (validated) UTF-8 file directly
    else:
        source = _transcode_to_utf8(path, enc.name)
    first_data_line = header_index + 2  # 1-based line number of the first line after the header
    try:
        frame = pl.read_csv(
            source,
            has_header=False,
            # Made by the parser, so it is chunked like the data columns: a column computed
            # afterwards would force Polars to copy every column into one chunk on select.
            row_index_name="_row_number",
            row_index_offset=first_data_line,
            separator=delimiter,
            quote_char='"',
            skip_lines=header_index + 1,
            schema=schema,
            truncate_ragged_lines=True,
            missing_columns="insert",
            raise_if_empty=False,
            infer_schema=False,
            encoding="utf8",
        )
    except pl.exceptions.NoDataError:
        frame = pl.DataFrame(schema={"_row_number": pl.UInt32, **schema})
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file-level error
        raise ReadError(f"kan inte läsas som CSV ({type(exc).__name__}: {exc})") from None
    del source

    row_number = pl.col("_row_number").cast(pl.Int64)
    if enc.has_quote and frame.height:
        # A quoted value may span lines: shift later rows by the newlines inside earlier rows.
        extra_lines = pl.sum_horizontal(
            [pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in data_cols + extra_cols]
        ).cast(pl.Int64)
        row_number = row_number + extra_lines.cum_sum() - extra_lines
    frame = frame.with_columns(row_number.alias("_row_number"))
    frame = _drop_blank_and_total_rows(frame, data_cols + extra_cols)
    return ReadResult(
        frame=frame,
        headers=headers,
        header_row=header_index + 1,
        exported_at=exported_at,
        encoding=enc.name,
        delimiter=delimiter,
        extra_columns=extra_cols,
    )


# --------------------------------------------------------------------------------------------
# Excel


_EXCEL_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$"


def read_xlsx(path: Path, spec: SourceSpec) -> ReadResult:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - whatever fastexcel raises, the file is no readable workbook
        raise ReadError(f"kan inte läsas som Excel-fil ({type(exc).__name__})") from None
    for sheet in sheet_names:
        try:
            # header_row=None with skip_rows=0 keeps leading empty rows, so index + 1 is the
            # Excel row number.
            head = reader.load_sheet(
                sheet, header_row=None, dtypes="string", skip_rows=0, n_rows=HEADER_SCAN_ROWS
            ).to_polars()
        except Exception:  # noqa: BLE001 - an unreadable (e.g. empty) sheet: try the next
            continue
        rows = [list(r) for r in head.rows()]
        header_index = find_header(rows, spec)
        if header_index is None:
            continue
        headers = _header_texts(rows[header_index])
        preamble = [" ".join(str(c) for c in r if c is not None) for r in rows[:header_index]]
        full = reader.load_sheet(sheet, header_row=None, dtypes="string", skip_rows=0).to_polars()
        data_cols = [f"c{i}" for i in range(len(headers))]
        source_cols = full.columns[: len(headers)]
        frame = (
            full.slice(header_index + 1)
            .select(
                [
                    pl.col(src).str.replace(_EXCEL_MIDNIGHT, "${1}").alias(dst)
                    for src, dst in zip(source_cols, data_cols, strict=True)
                ]
                + [pl.lit(None, dtype=pl.String).alias(c) for c in data_cols[len(source_cols) :]]
            )
            .with_columns((pl.int_range(0, pl.len(), dtype=pl.Int64) + header_index + 2).alias("_row_number"))
        )
        frame = _drop_blank_and_total_rows(frame, data_cols)
        return ReadResult(
            frame=frame,
            headers=headers,
            header_row=header_index + 1,
            exported_at=parse_exported_at(preamble),
            sheet=sheet,
        )
    raise _no_header_error(spec)


# --------------------------------------------------------------------------------------------


def read_file(path: Path, spec: SourceSpec) -> ReadResult:
    """Read a landing file of kind `spec` (xlsx by extension or zip signature; else CSV/TXT)."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError("gammalt Excel-format (.xls) stöds inte; spara som .xlsx eller CSV")
    if path.suffix.lower() == ".xlsx" or magic.startswith(b"PK\x03\x04"):
        return read_xlsx(path, spec)
    return read_csv(path, spec)
