"""render_report / render_latest: one self-contained Swedish HTML file per insats (or förbund)
and period, from the marts of bi.duckdb.

Output: `<out_dir>/<förbund>/<insats>/<period>.html`, folder names sanitised
(`safe_name`); a förbund-level report (insats_id None, the sum over the förbund's insatser)
goes to the folder `_forbund`. The file is written to a temporary name and renamed, so a reader
never sees half a report.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

import jinja2

from pipelines.report.data import MartReader, NotInMarts, Period, comparison_period_id
from pipelines.report.format import HIDDEN, NOTHING, Suppressor
from pipelines.report.sections import PERIOD_TYP, Ctx, build_sections, datakvalitet

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FORBUND_FOLDER = "_forbund"
LATEST_PERIOD_TYPES = ("halvar", "ar")

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


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _resolve_period(reader: MartReader, period_id: str) -> Period:
    if not reader.has("dim_period"):
        raise ValueError("marts.dim_period is missing from bi.duckdb")
    period = reader.period(period_id)
    if period is None:
        raise NotInMarts(
            "period",
            f"period {period_id!r} is not in marts.dim_period; ids look like 2022-H1, 2022, 2022-Q2, "
            "2022-06 or 2021-07--2022-06 and must not start after as_of"
        )
    return period


def _render(reader: MartReader, out_dir: Path, forbund: str, insats_id: str | None, period_id: str, threshold: int) -> Path:
    if not reader.has("dim_insats"):
        raise ValueError("marts.dim_insats is missing from bi.duckdb")
    period = _resolve_period(reader, period_id)
    scope = reader.scope(forbund, insats_id)
    comp_id = comparison_period_id(period.period_id)
    comp = reader.period(comp_id, period.period_typ)
    S = Suppressor(threshold)
    ctx = Ctx(reader=reader, scope=scope, period=period, comp=comp, comp_id=comp_id, S=S)
    sections = build_sections(ctx)
    running = not reader.has("genomflode") or bool(ctx.rows("genomflode"))

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
        comp_label=comp_id,
        comp_exists=comp is not None,
        running=running,
        sections=sections,
        data_notes=datakvalitet(ctx),
        threshold=threshold,
        suppressed_label=S.label,
        hidden_label=HIDDEN,
        nothing_label=NOTHING,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        as_of=period.as_of,
    )
    path = report_path(out_dir, forbund, insats_id, period.period_id)
    _write_atomic(path, html)
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


def latest_complete_periods(reader: MartReader, forbund: str, insats_id: str) -> list[Period]:
    """The latest complete half-year and year in which the insats has rows in genomflode."""
    out = []
    for period_typ in LATEST_PERIOD_TYPES:
        complete = {
            r["period_id"]: r for r in reader.select("dim_period", {"period_typ": period_typ, "is_complete": True})
        }
        running = {
            r["period_id"]
            for r in reader.select("genomflode", {"forbund": forbund, "insats_id": insats_id, "period_typ": period_typ, "kon": "Kvinna"})
        } if reader.has("genomflode") else set(complete)
        ids = [pid for pid in complete if pid in running]
        if ids:
            latest = max(ids, key=lambda pid: complete[pid]["period_start"])
            p = reader.period(latest, period_typ)
            if p is not None:
                out.append(p)
    return out


def render_latest(bi_path: Path, out_dir: Path, threshold: int, *, forbund_level: bool = True) -> list[Path]:
    """Render the latest COMPLETE half-year and year (dim_period.is_complete) of every insats in
    dim_insats, and (forbund_level) the same periods for each förbund as a whole. Returns the
    paths written, in a stable order."""
    reader = MartReader.open(Path(bi_path))
    paths: list[Path] = []
    try:
        insatser = reader.select("dim_insats", order_by="forbund, insats_id")
        # per förbund and period type, the latest complete period of any of its insatser
        forbund_latest: dict[tuple[str, str], Period] = {}
        for insats in insatser:
            for p in latest_complete_periods(reader, insats["forbund"], insats["insats_id"]):
                paths.append(_render(reader, Path(out_dir), insats["forbund"], insats["insats_id"], p.period_id, threshold))
                key = (insats["forbund"], p.period_typ)
                if key not in forbund_latest or p.period_start > forbund_latest[key].period_start:
                    forbund_latest[key] = p
        if forbund_level:
            for (forbund, _), p in sorted(forbund_latest.items()):
                paths.append(_render(reader, Path(out_dir), forbund, None, p.period_id, threshold))
    finally:
        reader.close()
    return paths
