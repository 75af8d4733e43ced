"""render_report / render_latest: one self-contained Swedish HTML file per insats (or förbund)
and period, from the marts of bi.duckdb.

Output: `<out_dir>/<förbund>/<insats>/<period>.html`, folder names sanitised
(`safe_name`); a förbund-level report (insats_id None, the sum over the förbund's insatser)
goes to the folder `_forbund`. The file is written to a temporary name and renamed, so a reader
never sees half a report.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jinja2

from pipelines.atomic_file import write_text_atomic
from pipelines.report.data import BatchReader, MartReader, NotInMarts, Period, comparison_period_id
from pipelines.report.format import HIDDEN, NOTHING, Suppressor
from pipelines.report.sections import PERIOD_TYP, ReportData, build_sections, datakvalitet

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FORBUND_FOLDER = "_forbund"
LATEST_PERIOD_TYPES = ("halvar", "ar")
# A worker process costs about a second to start (a fresh interpreter importing duckdb, pyarrow
# and jinja2); with fewer reports than this per worker, rendering in one process is faster.
MIN_REPORTS_PER_WORKER = 40

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def safe_name(name: str) -> str:
    """A folder or file name from a förbund, insats or period id: letters (å ä ö kept), digits,
    `-`, `_` and `.` stay; anything else (slashes, spaces, parentheses …) becomes `_`; no
    leading or trailing `.` or `_` (so never `..` or a hidden name), never empty, at most 120
    characters."""
    text = unicodedata.normalize("NFC", name).strip()
    text = "".join(ch if (ch.isalnum() or ch in "-_.") else "_" for ch in text)
    text = re.sub(r"_+", "_", text)
    return text[:120].strip("._") or "_"


def report_path(out_dir: Path, forbund: str, insats_id: str | None, period_id: str) -> Path:
    # safe_name never returns a name starting with "_" but "_" itself: no insats gets "_forbund"
    insats_folder = FORBUND_FOLDER if insats_id is None else safe_name(insats_id)
    return Path(out_dir) / safe_name(forbund) / insats_folder / f"{safe_name(period_id)}.html"


def _resolve_period(reader: MartReader, period_id: str) -> Period:
    if not reader.has("dim_period"):
        raise ValueError("marts.dim_period is missing from bi.duckdb")
    period = reader.period(period_id)
    if period is None:
        raise NotInMarts(
            "period",
            f"period {period_id!r} is not in marts.dim_period; ids look like 2022-H1, 2022, 2022-Q2, "
            "2022-06 or 2021-07--2022-06 and must not start after as_of",
        )
    return period


def _render(
    reader: MartReader,
    out_dir: Path,
    forbund: str,
    insats_id: str | None,
    period_id: str,
    threshold: int,
    generated: str | None = None,
) -> Path:
    if not reader.has("dim_insats"):
        raise ValueError("marts.dim_insats is missing from bi.duckdb")
    period = _resolve_period(reader, period_id)
    scope = reader.scope(forbund, insats_id)
    comparison_id = comparison_period_id(period.period_id)
    comparison_period = reader.period(comparison_id, period.period_typ)
    suppress = Suppressor(threshold)
    data = ReportData(
        reader=reader,
        scope=scope,
        period=period,
        comparison_period=comparison_period,
        comparison_id=comparison_id,
        suppress=suppress,
    )
    sections = build_sections(data)
    running = not reader.has("genomflode") or bool(data.rows("genomflode"))

    typ_title, _ = PERIOD_TYP.get(period.period_typ, ("Rapport", "perioden"))
    if scope.is_forbund:
        subject = forbund
        insats_text = "Alla insatser: " + ", ".join(
            f"{i.get('insatsnamn') or i['insats_id']} ({i['insats_id']})" for i in scope.insats
        )
    else:
        insats = scope.insats[0]
        subject = insats.get("insatsnamn") or insats["insats_id"]
        insats_text = f"Insats-ID {insats['insats_id']}"
    html = _env.get_template("report.html.j2").render(
        title=f"{subject} – {typ_title} {period.period_id}",
        subject=subject,
        typ_title=typ_title,
        forbund=forbund,
        insats_text=insats_text,
        is_forbund=scope.is_forbund,
        period=period,
        comp_label=comparison_id,
        comp_exists=comparison_period is not None,
        running=running,
        sections=sections,
        data_notes=datakvalitet(data),
        threshold=threshold,
        suppressed_label=suppress.label,
        hidden_label=HIDDEN,
        nothing_label=NOTHING,
        generated=generated or dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        as_of=period.as_of,
    )
    path = report_path(out_dir, forbund, insats_id, period.period_id)
    write_text_atomic(path, html)
    return path


def render_report(
    bi_path: Path, out_dir: Path, forbund: str, insats_id: str | None, period_id: str, suppression_threshold: int
) -> Path:
    """Render one report and return its path. insats_id None = the whole förbund (its insatser
    summed). Raises FileNotFoundError without bi.duckdb, ValueError for an unknown förbund,
    insats or period."""
    reader = MartReader.open(Path(bi_path))
    try:
        return _render(reader, Path(out_dir), forbund, insats_id, period_id, suppression_threshold)
    finally:
        reader.close()


@dataclass(frozen=True)
class Job:
    """One report to write: an insats (or, insats_id None, the whole förbund) and a period."""

    forbund: str
    insats_id: str | None
    period: Period


def plan_latest(reader: MartReader, *, forbund_level: bool = True) -> list[Job]:
    """The reports `render_latest` writes, in its order: for every insats in dim_insats (by
    förbund and insats) its latest complete half-year and year in which it has rows in
    genomflode; then (forbund_level) per förbund the latest of those periods among its insatser."""
    complete = {
        typ: {r["period_id"]: r for r in reader.select("dim_period", {"period_typ": typ, "is_complete": True})}
        for typ in LATEST_PERIOD_TYPES
    }
    running: set[tuple[str, str, str, str]] | None = None
    if reader.has("genomflode"):
        # one row per insats and period is enough (kon Kvinna exists for every period it ran)
        running = {
            (r["forbund"], r["insats_id"], r["period_typ"], r["period_id"])
            for r in reader.select("genomflode", {"period_typ": list(LATEST_PERIOD_TYPES), "kon": "Kvinna"})
        }
    jobs: list[Job] = []
    forbund_latest: dict[tuple[str, str], Period] = {}
    for insats in reader.select("dim_insats", order_by="forbund, insats_id"):
        forbund, insats_id = insats["forbund"], insats["insats_id"]
        for typ in LATEST_PERIOD_TYPES:
            ids = [pid for pid in complete[typ] if running is None or (forbund, insats_id, typ, pid) in running]
            if not ids:
                continue
            p = Period.from_row(complete[typ][max(ids, key=lambda pid: complete[typ][pid]["period_start"])])
            jobs.append(Job(forbund, insats_id, p))
            key = (forbund, p.period_typ)
            if key not in forbund_latest or p.period_start > forbund_latest[key].period_start:
                forbund_latest[key] = p
    if forbund_level:
        jobs += [Job(forbund, None, p) for (forbund, _), p in sorted(forbund_latest.items())]
    return jobs


# (mart, forbund, period_start, period_slut) of rows a publish changed; None = any
Change = tuple[str, str | None, dt.date | None, dt.date | None]
# marts a report reads by the whole year its period falls in (the förbund's financing)
READ_BY_YEAR = frozenset({"finansiering"})


def touched_by(job: Job, changes: list[Change], comparison: Period | None) -> bool:
    """Whether rows a publish changed can show in the job's report: rows of its förbund (or of
    every förbund) of its period or its comparison period, or of a period inside one of them
    (the months of a half-year); of READ_BY_YEAR marts, any row overlapping them. A report
    reads no other row of a longer period around its own."""
    spans = [(job.period.period_start, job.period.period_slut)]
    if comparison is not None:
        spans.append((comparison.period_start, comparison.period_slut))
    for mart, forbund, start, slut in changes:
        if forbund is not None and forbund != job.forbund:
            continue
        if start is None or slut is None:
            return True
        if mart in READ_BY_YEAR:
            if any(start <= s1 and slut >= s0 for s0, s1 in spans):
                return True
        elif any(s0 <= start and slut <= s1 for s0, s1 in spans):
            return True
    return False


def _batches(jobs: list[Job], n: int) -> list[list[int]]:
    """The jobs' indexes in at most about `n` batches of whole förbund (a förbund's reports
    share its rows), each with about the same number of reports."""
    per_forbund: dict[str, list[int]] = {}
    for i, job in enumerate(jobs):
        per_forbund.setdefault(job.forbund, []).append(i)
    target = max(1, -(-len(jobs) // max(n, 1)))
    batches: list[list[int]] = [[]]
    for indexes in per_forbund.values():
        if batches[-1] and len(batches[-1]) + len(indexes) > target:
            batches.append([])
        batches[-1] += indexes
    return [b for b in batches if b]


def _render_batch(
    bi_path: Path, out_dir: Path, threshold: int, jobs: list[Job], generated: str, threads: int | None
) -> list[tuple[Path, float]]:
    """Render one batch with one BatchReader (each mart read once for the batch's förbund and
    periods); returns (path, seconds) per report."""
    out = []
    with BatchReader.open(bi_path, {j.forbund for j in jobs}, threads=threads) as reader:
        for job in jobs:  # the periods the batch's reports show: theirs, the comparison, their months
            p = job.period
            reader.expect(p.period_typ, [p.period_id, comparison_period_id(p.period_id)])
            reader.expect("manad", [m.period_id for m in reader.months_of(p)])
        for job in jobs:
            t = time.perf_counter()
            path = _render(reader, out_dir, job.forbund, job.insats_id, job.period.period_id, threshold, generated)
            out.append((path, time.perf_counter() - t))
    return out


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def render_jobs(
    bi_path: Path, out_dir: Path, threshold: int, jobs: list[Job], *, workers: int | None = None
) -> list[tuple[Path, float]]:
    """Render `jobs`; returns (path, seconds) per job, in the jobs' order.

    The jobs are cut into batches of whole förbund with about the same number of reports, one
    per worker. With more than one worker the batches go to a pool of worker processes
    (`spawn`: a child starts clean, without the parent's threads or DuckDB connection), each
    opening bi.duckdb read-only with one DuckDB thread, so the process tree stays within the
    cores it was given; one worker renders in this process. `workers` None: one per core, but
    only as many as have MIN_REPORTS_PER_WORKER reports each.

    With `spawn`, a worker imports the caller's main module: a script calling this must do so
    under `if __name__ == "__main__":`."""
    if not jobs:
        return []
    if workers is None:
        workers = min(default_workers(), len(jobs) // MIN_REPORTS_PER_WORKER)
    workers = max(1, min(workers, len({j.forbund for j in jobs})))
    # One batch per worker: a batch reads every mart it needs once, and that read scans the
    # whole mart however few reports the batch has.
    batches = _batches(jobs, workers)
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")  # one time stamp for the whole run
    args = [
        (Path(bi_path), Path(out_dir), threshold, [jobs[i] for i in batch], generated, 1 if workers > 1 else None)
        for batch in batches
    ]
    if workers == 1:
        results = [_render_batch(*a) for a in args]
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_render_batch, *zip(*args, strict=False)))
    out: list[tuple[Path, float]] = [None] * len(jobs)  # type: ignore[list-item]
    for batch, result in zip(batches, results, strict=True):
        for i, r in zip(batch, result, strict=True):
            out[i] = r
    return out


def render_latest(
    bi_path: Path, out_dir: Path, threshold: int, *, forbund_level: bool = True, workers: int | None = None
) -> list[Path]:
    """Render the latest COMPLETE half-year and year (dim_period.is_complete) of every insats in
    dim_insats, and (forbund_level) the same periods for each förbund as a whole. Returns the
    paths written, in a stable order (`plan_latest`). `workers`: processes to render in
    (default: see `render_jobs`)."""
    with MartReader.open(Path(bi_path)) as reader:
        jobs = plan_latest(reader, forbund_level=forbund_level)
    return [path for path, _ in render_jobs(bi_path, out_dir, threshold, jobs, workers=workers)]
