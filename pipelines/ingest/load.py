"""Ingest one source kind: landing files -> `raw.<kind>` (+ the file ledger), bad files -> quarantine.

For every file of the kind in the landing folder (oldest first; its SHA-256 from
`raw._file_hashes` when its bytes were hashed before, see discovery.py, else read and hashed):
1. a file whose SHA-256 is in `raw._file_ledger` as loaded for this kind is skipped: loading the
   same bytes twice changes nothing;
2. otherwise it is read, typed and validated (readers.py, parse.py), then checked by the kind's
   quality suite (file_suite.py, which runs pipelines/quality/files.py); small files are read
   a few at a time and checked together, with one GX run for those that pass
   (`SMALL_FILE_ROWS`, `JOINT_CHECK_ROWS`), each still loaded or quarantined on its own;
3. on any error the file is moved, byte for byte, to `<quarantine_dir>/<file name>` with
   `<file name>.reason.txt` beside it listing the errors, recorded as quarantined, and ingest
   goes on with the next file;
4. on success its rows are appended to `raw.<kind>` through Arrow, in one transaction with its
   ledger row. The append of a bigger file starts while the quality suite still runs (in a
   worker thread: the two overlap on two cores); the transaction commits only when the suite
   passed, else it is rolled back and the file quarantined (3).

Raw keeps every good file; the replacement rules (replace_by / month_of / newness) are applied
downstream in dbt from `_file_date`, `_exported_at`, `_file_mtime` and `_period_month`.

It is one module because the four steps above are what happens to one file, around one
connection and one transaction; split up they would only hand each other that state.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.atomic_file import write_text_atomic
from pipelines.ingest.discovery import FileStat, LandingFile, discover
from pipelines.ingest.file_suite import check_parsed_file, check_parsed_files
from pipelines.ingest.parse import MAX_ERRORS, ParseContext, ParseResult, RowError, parse_frame
from pipelines.ingest.personnummer import PersonnummerMemo
from pipelines.ingest.readers import ReadError, read_file
from pipelines.privacy import redact
from pipelines.sources.spec import META_COLUMNS, SourceSpec, load_specs

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
LEDGER_TABLE = f"{RAW_SCHEMA}._file_ledger"
LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sha256", "VARCHAR NOT NULL"),
    ("kind", "VARCHAR NOT NULL"),
    ("file_name", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),  # 'loaded' | 'quarantined'
    ("reason", "VARCHAR"),
    ("rows", "BIGINT"),
    ("file_date", "DATE"),
    ("exported_at", "TIMESTAMP"),
    ("file_mtime", "TIMESTAMP"),
    ("loaded_at", "TIMESTAMP NOT NULL"),
)
# The SHA-256 of each landing file by its FileStat (pipelines/ingest/discovery.py): ingest
# replaces a kind's rows with what it found in the landing folder; readers only read them.
HASHES_TABLE = f"{RAW_SCHEMA}._file_hashes"
HASHES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", "VARCHAR NOT NULL"),
    ("file_name", "VARCHAR NOT NULL"),
    ("size", "BIGINT NOT NULL"),
    ("mtime_ns", "BIGINT NOT NULL"),
    ("ctime_ns", "BIGINT NOT NULL"),
    ("inode", "UBIGINT NOT NULL"),
    ("sha256", "VARCHAR NOT NULL"),
)

# Small files are checked together (step 2): GX's fixed cost per run, ~0.15-0.2 s, is most of
# what checking a small file costs (at national scale 75 SUS exports of 1-22 k rows and 69
# step-measurement files). A file of at most SMALL_FILE_ROWS rows waits, read, until the waiting
# ones hold JOINT_CHECK_ROWS rows or a bigger file comes; nothing is committed before its check.
SMALL_FILE_ROWS = 100_000
JOINT_CHECK_ROWS = 250_000


# --------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True)
class LoadedFile:
    file_name: str
    sha256: str
    rows: int

    @property
    def name(self) -> str:
        return self.file_name


@dataclass(frozen=True)
class SkippedFile:
    file_name: str
    sha256: str
    reason: str = "oförändrad: samma innehåll (SHA-256) är redan inläst"

    @property
    def name(self) -> str:
        return self.file_name


@dataclass(frozen=True)
class QuarantinedFile:
    file_name: str
    sha256: str
    reason: str  # short summary: error count and the first error (no file name, no personnummer)
    error_count: int
    path: Path  # the file in quarantine
    reason_file: Path

    @property
    def name(self) -> str:
        return self.file_name


@dataclass
class IngestReport:
    kind: str
    loaded: list[LoadedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    quarantined: list[QuarantinedFile] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows for f in self.loaded)

    @property
    def ok(self) -> bool:
        return not self.quarantined

    def summary(self) -> str:
        lines = [
            (
                f"{self.kind}: {len(self.loaded)} fil(er) inlästa ({self.rows_loaded} rader), "
                f"{len(self.skipped)} oförändrade, {len(self.quarantined)} i karantän"
            )
        ]
        lines += [f"  inläst: {f.name} ({f.rows} rader)" for f in self.loaded]
        lines += [f"  oförändrad: {f.name}" for f in self.skipped]
        lines += [f"  karantän: {f.name}: {f.reason}" for f in self.quarantined]
        return "\n".join(lines)

    def as_metadata(self) -> dict[str, object]:
        """Plain values for Dagster asset metadata (no personal data)."""
        return {
            "files_loaded": len(self.loaded),
            "rows_loaded": self.rows_loaded,
            "files_skipped_unchanged": len(self.skipped),
            "files_quarantined": len(self.quarantined),
            "loaded": [f"{f.name} ({f.rows} rader)" for f in self.loaded],
            "skipped": [f.name for f in self.skipped],
            "quarantined": [f"{f.name}: {f.reason}" for f in self.quarantined],
        }


# --------------------------------------------------------------------------------------------
# Tables


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [RAW_SCHEMA, table],
    ).fetchall()
    return dict(rows)


def _has_raw_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, table],
        ).fetchone()[0]
        > 0
    )


def has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this warehouse has a file ledger yet (it has none before its first ingest)."""
    return _has_raw_table(con, "_file_ledger")


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """The file ledger and the remembered hashes of the landing files."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table, columns in ((LEDGER_TABLE, LEDGER_COLUMNS), (HASHES_TABLE, HASHES_COLUMNS)):
        cols = ", ".join(f"{_q(n)} {t}" for n, t in columns)
        con.execute(f"create table if not exists {table} ({cols})")


def known_hashes(con: duckdb.DuckDBPyConnection) -> dict[FileStat, str]:
    """The remembered SHA-256 of landing files by FileStat; none in a warehouse without the table."""
    if not _has_raw_table(con, "_file_hashes"):
        return {}
    rows = con.execute(f"select file_name, size, mtime_ns, ctime_ns, inode, sha256 from {HASHES_TABLE}").fetchall()
    return {FileStat(*row[:5]): row[5] for row in rows}


def remember_hashes(con: duckdb.DuckDBPyConnection, kind: str, files: list[LandingFile]) -> None:
    """Replace the kind's remembered hashes with those of `files` (the kind's landing files now),
    so the keys of files that left the folder go too. Writes nothing when nothing changed."""
    columns = ", ".join(n for n, _ in HASHES_COLUMNS)
    rows = sorted(
        (kind, k.file_name, k.size, k.mtime_ns, k.ctime_ns, k.inode, f.sha256)
        for f in files
        if (k := f.hash_key) is not None
    )
    stored = sorted(con.execute(f"select {columns} from {HASHES_TABLE} where kind = ?", [kind]).fetchall())
    if rows == stored:
        return
    con.begin()
    try:
        con.execute(f"delete from {HASHES_TABLE} where kind = ?", [kind])
        if rows:
            con.executemany(f"insert into {HASHES_TABLE} ({columns}) values (?, ?, ?, ?, ?, ?, ?)", rows)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def ensure_raw_table(con: duckdb.DuckDBPyConnection, spec: SourceSpec) -> None:
    """Create `raw.<kind>` with the exact layout of the spec (empty is fine, so dbt sources
    always resolve); add columns a newer spec introduced; refuse a changed column type."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    schema = spec.raw_schema()
    cols = ", ".join(f"{_q(n)} {t}" for n, t in schema)
    con.execute(f"create table if not exists {RAW_SCHEMA}.{_q(spec.kind)} ({cols})")
    existing = _table_columns(con, spec.kind)
    for name, dtype in schema:
        if name not in existing:
            con.execute(f"alter table {RAW_SCHEMA}.{_q(spec.kind)} add column {_q(name)} {dtype}")
        elif existing[name] != dtype:
            raise RuntimeError(
                f"raw.{spec.kind}.{name} is {existing[name]} but the spec says {dtype}; "
                f"migrate or drop the raw table and reload the landing files"
            )


def registered_insats_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Insats-IDs in `raw.insatser` (every loaded register file); empty when the table is missing."""
    if "insats_id" not in _table_columns(con, "insatser"):
        return set()
    rows = con.execute(f"select distinct insats_id from {RAW_SCHEMA}.insatser where insats_id is not null").fetchall()
    return {r[0] for r in rows}


def _already_loaded(con: duckdb.DuckDBPyConnection, kind: str, sha256: str) -> bool:
    return (
        con.execute(
            f"select count(*) from {LEDGER_TABLE} where kind = ? and sha256 = ? and status = 'loaded'",
            [kind, sha256],
        ).fetchone()[0]
        > 0
    )


def files_to_ingest(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, specs: dict[str, SourceSpec] | None = None
) -> list[str]:
    """The landing files ingest would read: those whose bytes the ledger has not loaded for their kind."""
    specs = specs if specs is not None else load_specs()
    ledger = has_ledger(con)
    known = known_hashes(con)
    return [
        f.name
        for kind in specs
        for f in discover(Path(landing_dir), kind, specs, known)
        if not (ledger and _already_loaded(con, kind, f.sha256))
    ]


def _write_ledger(
    con: duckdb.DuckDBPyConnection,
    f: LandingFile,
    *,
    status: str,
    reason: str | None,
    rows: int | None,
    exported_at: dt.datetime | None,
    loaded_at: dt.datetime,
) -> None:
    # One row per (kind, sha256): a retried quarantined file replaces its earlier row.
    con.execute(f"delete from {LEDGER_TABLE} where kind = ? and sha256 = ?", [f.kind, f.sha256])
    con.execute(
        f"insert into {LEDGER_TABLE} ({', '.join(n for n, _ in LEDGER_COLUMNS)}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [f.sha256, f.kind, f.name, status, reason, rows, f.file_date, exported_at, f.mtime, loaded_at],
    )


# --------------------------------------------------------------------------------------------
# Quarantine


def _reason_text(f: LandingFile, errors: list[str], error_count: int, summary: list[str], when: dt.datetime) -> str:
    lines = [
        f"Fil: {f.name}",
        f"Källtyp: {f.kind}",
        f"SHA-256: {f.sha256}",
        f"Karantänsatt: {when:%Y-%m-%d %H:%M:%S}",
        f"Antal fel: {error_count}",
        "",
        "Fel:",
        *(f"- {e}" for e in errors),
    ]
    if error_count > len(errors):
        lines.append(f"- ... och {error_count - len(errors)} fel till (visar de första {len(errors)})")
    if summary:
        lines += ["", "Per kolumn och regel:", *(f"- {s}" for s in summary)]
    lines += [
        "",
        "Filen ligger här oförändrad, byte för byte. Rätta exporten och lägg den nya filen i",
        "landningsmappen; inget från den här filen har lästs in.",
        "",
    ]
    return redact("\n".join(lines))


def _quarantine(f: LandingFile, quarantine_dir: Path, reason_text: str) -> tuple[Path, Path]:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / f.name
    reason_file = quarantine_dir / f"{f.name}.reason.txt"
    write_text_atomic(reason_file, reason_text)
    if target.exists():
        target.unlink()
    shutil.move(str(f.path), str(target))  # a rename on the same file system: bytes untouched
    return target, reason_file


# --------------------------------------------------------------------------------------------


def export_date_of(f: LandingFile, exported_at: dt.datetime | None, refresh_day: dt.date) -> tuple[dt.date, str]:
    """The day a file was exported, and where that came from: a whole date in its name, else its
    Exekvering stamp, else the refresh day (the suites' `export_date` parameter)."""
    if f.file_date is not None and f.file_date_is_day:
        return f.file_date, "från filnamnet"
    if exported_at is not None:
        return exported_at.date(), "från Exekvering-stämpeln"
    return refresh_day, "uppdateringsdagen; filen anger inget exportdatum"


def read_and_parse(
    f: LandingFile,
    spec: SourceSpec,
    *,
    key: bytes,
    refresh_day: dt.date,
    registered_insats_ids: set[str] | frozenset[str] | None,
    personnummer_memo: PersonnummerMemo | None = None,
) -> tuple[ParseResult, dt.datetime | None]:
    """Read and validate one landing file; file-level problems become a single error.
    `personnummer_memo`: personnummer seen in earlier files of this run (same key, refresh day)."""
    try:
        read = read_file(f.path, spec)
    except ReadError as exc:
        return ParseResult(frame=None, errors=[RowError(f.name, None, None, str(exc))], error_count=1), None
    export_date, source = export_date_of(f, read.exported_at, refresh_day)
    ctx = ParseContext(
        file_name=f.name,
        export_date=export_date,
        export_date_source=source,
        refresh_day=refresh_day,
        key=key,
        registered_insats_ids=None if registered_insats_ids is None else frozenset(registered_insats_ids),
        personnummer_memo=personnummer_memo,
    )
    return parse_frame(read, spec, ctx), read.exported_at


# The file's own columns of every raw row: constants per file, added by DuckDB (a constant
# vector) rather than by Polars (a column of millions of equal strings to copy and compress).
_FILE_COLUMNS: tuple[tuple[str, str], ...] = tuple(c for c in META_COLUMNS if c[0] != "_row_number")
_BATCH_ROWS = 122_880  # DuckDB's row group
# The WAL an ingest may collect before DuckDB checkpoints (`ingest_kind`).
INGEST_CHECKPOINT_THRESHOLD = "128MB"


def _append(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    parsed: pl.DataFrame,
    f: LandingFile,
    exported_at: dt.datetime | None,
    loaded_at: dt.datetime,
) -> None:
    """Append the parsed rows with the file's columns to `raw.<kind>` (by name)."""
    if parsed.height == 0:
        return
    file_columns = {name for name, _ in _FILE_COLUMNS}
    data = [name for name, _ in spec.raw_schema() if name not in file_columns]
    view = "__finsam_ingest_frame"
    # String views (Arrow's Utf8View) hand Polars' buffers over without copying them. Handed
    # over in batches of a DuckDB row group (zero-copy slices): one batch of millions of rows
    # costs DuckDB a quarter more time, and compresses worse.
    table = parsed.select(data).to_arrow(compat_level=pl.CompatLevel.newest())
    table = pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), schema=table.schema)
    con.register(view, table)
    try:
        constants = ", ".join(f"cast(? as {t}) as {_q(n)}" for n, t in _FILE_COLUMNS)
        values = {
            "_source_file": f.name,
            "_sha256": f.sha256,
            "_loaded_at": loaded_at,
            "_file_date": f.file_date,
            "_exported_at": exported_at,
            "_file_mtime": f.mtime,
        }
        con.execute(
            f"insert into {RAW_SCHEMA}.{_q(spec.kind)} by name select {view}.*, {constants} from {view}",
            [values[n] for n, _ in _FILE_COLUMNS],
        )
    finally:
        con.unregister(view)


def ingest_kind(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    landing_dir: Path,
    quarantine_dir: Path,
    key: bytes,
    refresh_day: dt.date,
    registered_insats_ids: set[str] | None,
) -> IngestReport:
    """Load every new file of `kind` from `landing_dir` into `raw.<kind>`.

    `registered_insats_ids`: the Insats-IDs of the insats register (see
    `registered_insats_ids(con)`, after ingesting `insatser`); None skips that check.
    """
    specs = load_specs()
    if kind not in specs:
        raise ValueError(f"unknown source kind {kind!r}; known: {sorted(specs)}")
    spec = specs[kind]
    ensure_ledger(con)
    ensure_raw_table(con, spec)
    report = IngestReport(kind=kind)
    memo = PersonnummerMemo(key, refresh_day)  # the kind's files repeat most people
    # One worker runs a bigger file's quality suite while this thread appends its rows (step 4).
    # Bigger files are read one at a time: parsing the next meanwhile would hold two in memory
    # (gigabytes at national scale) for little gain on two cores. Small files wait, read, for
    # a joint check (step 2), at most JOINT_CHECK_ROWS rows of them.
    files = discover(Path(landing_dir), kind, specs, known_hashes(con))
    remember_hashes(con, kind, files)
    # Every file commits on its own. At DuckDB's default threshold (16 MiB of WAL) a commit
    # checkpoints every few small files, each time rewriting the table's partly filled last row
    # group; with a higher threshold the ingest checkpoints a few times per kind instead. Big
    # files hardly reach the WAL (DuckDB writes their row groups to the database file as they
    # are appended), and what waits for a checkpoint in memory stays bounded by the threshold.
    # The setting is the database's, not this connection's: it is put back afterwards.
    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
    con.execute(f"set checkpoint_threshold = '{INGEST_CHECKPOINT_THRESHOLD}'")
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="finsam-quality") as quality:
            small: list[tuple[LandingFile, _Read]] = []  # read, to be checked together (step 2)
            for f in files:
                if _already_loaded(con, kind, f.sha256) or any(f.sha256 == s.sha256 for s, _ in small):
                    report.skipped.append(SkippedFile(f.name, f.sha256))
                    log.info("%s: unchanged, skipped", f.name)
                    continue
                read = _read(f, spec, key, refresh_day, registered_insats_ids, memo)
                if _is_small(read):
                    small.append((f, read))
                    if sum(r.result.rows for _, r in small) >= JOINT_CHECK_ROWS:
                        _load_small_files(con, small, spec, quarantine_dir, refresh_day, quality, report)
                        small = []
                    continue
                _load_small_files(con, small, spec, quarantine_dir, refresh_day, quality, report)  # in file order
                small = []
                _load_or_quarantine(con, f, read, spec, quarantine_dir, refresh_day, quality, report)
                del read
            _load_small_files(con, small, spec, quarantine_dir, refresh_day, quality, report)
    finally:
        con.execute(f"set checkpoint_threshold = '{threshold}'")
    con.execute("checkpoint")  # the kind's rows into the database file: a short WAL to replay after a crash
    return report


@dataclass
class _Read:
    """A landing file read and parsed."""

    result: ParseResult
    exported_at: dt.datetime | None
    seconds: float


def _read(
    f: LandingFile,
    spec: SourceSpec,
    key: bytes,
    refresh_day: dt.date,
    registered_insats_ids: set[str] | None,
    memo: PersonnummerMemo,
) -> _Read:
    """`read_and_parse`, where any exception becomes the file's error (a file must never stop
    the other files)."""
    started = time.perf_counter()
    try:
        result, exported_at = read_and_parse(
            f,
            spec,
            key=key,
            refresh_day=refresh_day,
            registered_insats_ids=registered_insats_ids,
            personnummer_memo=memo,
        )
    except Exception as exc:  # noqa: BLE001 - a file must never stop the other files
        detail = redact("".join(traceback.format_exception_only(type(exc), exc)).strip())
        log.error("%s: internal error while reading: %s", f.name, redact(traceback.format_exc()))
        result = ParseResult(
            frame=None,
            errors=[RowError(f.name, None, None, f"internt fel vid inläsning ({detail})")],
            error_count=1,
        )
        exported_at = None
    return _Read(result, exported_at, time.perf_counter() - started)


def _done(verdict: ParseResult) -> Future[ParseResult]:
    """A verdict already reached (checked with other small files), as the worker would give it."""
    done: Future[ParseResult] = Future()
    done.set_result(verdict)
    return done


def _is_small(read: _Read) -> bool:
    return read.result.ok and read.result.frame is not None and read.result.rows <= SMALL_FILE_ROWS


def _load_small_files(
    con: duckdb.DuckDBPyConnection,
    small: list[tuple[LandingFile, _Read]],
    spec: SourceSpec,
    quarantine_dir: Path,
    refresh_day: dt.date,
    quality: ThreadPoolExecutor,
    report: IngestReport,
) -> None:
    """Check small read files together, per export date (step 2), then load or quarantine each,
    in their order."""
    if len(small) == 1:
        f, read = small[0]
        _load_or_quarantine(con, f, read, spec, quarantine_dir, refresh_day, quality, report)
        return
    by_date: dict[dt.date, list[int]] = {}
    for i, (f, read) in enumerate(small):
        by_date.setdefault(export_date_of(f, read.exported_at, refresh_day)[0], []).append(i)
    checked: dict[int, ParseResult] = {}
    for export_date, positions in by_date.items():
        results = check_parsed_files([(small[i][1].result, small[i][0]) for i in positions], spec, export_date)
        checked.update(zip(positions, results, strict=True))
    for i, (f, read) in enumerate(small):
        _load_or_quarantine(con, f, read, spec, quarantine_dir, refresh_day, quality, report, checked=checked[i])


def _load_or_quarantine(
    con: duckdb.DuckDBPyConnection,
    f: LandingFile,
    read: _Read,
    spec: SourceSpec,
    quarantine_dir: Path,
    refresh_day: dt.date,
    quality: ThreadPoolExecutor,
    report: IngestReport,
    checked: ParseResult | None = None,
) -> None:
    """Validate and load one read file, or quarantine it (module docstring, steps 3 and 4).
    `checked`: the suite's verdict when the file was checked with other small files (step 2)."""
    result, exported_at = read.result, read.exported_at
    read.result = None  # type: ignore[assignment] - the caller's reference must not keep the frame
    export_date = export_date_of(f, exported_at, refresh_day)[0]
    now = dt.datetime.now().replace(microsecond=0)
    started = time.perf_counter()

    if checked is not None and checked is not result:
        result = checked  # failed its suite: quarantined below
    elif result.ok and result.frame is not None:
        # The kind's GX suite on the parsed frame (pipelines/quality/files.py), in the
        # worker while DuckDB appends the rows here -- both mostly outside the GIL, so the two
        # cores share the work. The transaction commits only if the suite passes; a blocking
        # failure rolls the rows back and quarantines the file below, as any other error.
        frame, rows = result.frame, result.frame.height
        con.begin()
        verdict = quality.submit(check_parsed_file, result, f, spec, export_date) if checked is None else _done(checked)
        try:
            _append(con, spec, frame, f, exported_at, now)
            del frame
            checked = verdict.result()
            if checked is result and f.path.exists():
                del result, checked  # the frame is the only big object left: free it now
                _write_ledger(con, f, status="loaded", reason=None, rows=rows, exported_at=exported_at, loaded_at=now)
                con.commit()
                report.loaded.append(LoadedFile(f.name, f.sha256, rows))
                log.info(
                    "%s: loaded %d rows into raw.%s (read+parse %.1f s, validate+write %.1f s)",
                    f.name,
                    rows,
                    spec.kind,
                    read.seconds,
                    time.perf_counter() - started,
                )
                return
            con.rollback()
        except BaseException:
            con.rollback()
            verdict.cancel()
            raise
        result = checked
    else:
        result = check_parsed_file(result, f, spec, export_date)  # unchanged: the parse failed

    if not f.path.exists():  # removed while we worked: nothing to load or quarantine
        log.warning("%s: disappeared from the landing folder during ingest", f.name)
        return
    errors = [str(e) for e in result.errors[:MAX_ERRORS]]
    summary = [f"{c or '(rad)'}: {p}: {n} st" for c, p, n in result.summary]
    text = _reason_text(f, errors, result.error_count, summary, now)
    target, reason_file = _quarantine(f, Path(quarantine_dir), text)
    short = result.errors[0].describe(with_file=False) if result.errors else "okänt fel"
    if result.error_count > 1:
        short = f"{result.error_count} fel; första: {short}"
    con.begin()
    try:
        _write_ledger(
            con,
            f,
            status="quarantined",
            reason="\n".join(errors),
            rows=result.rows or None,
            exported_at=exported_at,
            loaded_at=now,
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    report.quarantined.append(QuarantinedFile(f.name, f.sha256, short, result.error_count, target, reason_file))
    log.warning("%s: quarantined (%d errors)", f.name, result.error_count)
