"""The yearly registration figures of Uppföljning Finsam as an Excel workbook per förbund and year.

Since 2023 each förbund types its yearly figures into Uppföljning Finsam by hand. The workbook
puts them in the order the registration asks for them: a sheet `Förbund` (allotted funds, the
administration's budget and utfall) and a sheet `Insatser` with one row per insats (budget,
utfall, budgeted participants, participants by sex, inriktning, målgrupp). Every number is read
from `marts.uppfoljning_finsam` in bi.duckdb; nothing is recomputed here.

The counts are exact, not suppressed like the reports' small counts: they are what the förbund
registers, and they are aggregates (no personal data reaches the mart). Only complete years are
written (`dim_period.is_complete`): a year still running would be registered too early; and by
every refresh only years with any figure (not the all-zero years of an insats registered before
the data begins).

Written with xlsxwriter to a temporary name beside the target, then renamed into place, so a
reader never sees half a workbook.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import xlsxwriter

from pipelines.report import safe_name

MART = "uppfoljning_finsam"
FORBUND_ROW = "(förbund)"

# (label in the workbook, column of the mart, number format); the registration's order
FORBUND_FIELDS = [
    ("Tilldelade medel, kr", "tilldelade_medel", "kr"),
    ("Förbundets administration: budget, kr", "budget", "kr"),
    ("Förbundets administration: utfall, kr", "utfall", "kr"),
]
INSATS_FIELDS = [
    ("Insats-ID", "insats_id", None),
    ("Insatsnamn", "insatsnamn", None),
    ("Budget, kr", "budget", "kr"),
    ("Utfall, kr", "utfall", "kr"),
    ("Budgeterat antal deltagare", "budgeterat_antal_deltagare", "antal"),
    ("Deltagare kvinnor", "deltagare_kvinnor", "antal"),
    ("Deltagare män", "deltagare_man", "antal"),
    ("Deltagare okänt kön", "deltagare_okant_kon", "antal"),
    ("Deltagare totalt", "deltagare_totalt", "antal"),
    ("Inriktning", "inriktning", None),
    ("Målgrupp", "malgrupp", None),
    ("varav anonyma kvinnor", "anonyma_kvinnor", "antal"),
    ("varav anonyma män", "anonyma_man", "antal"),
]
FORMATS = {"kr": "#,##0", "antal": "0"}  # Excel shows the reader's own thousands separator


@dataclass(frozen=True)
class Registration:
    forbund: str
    ar: str
    as_of: str
    forbund_row: dict | None
    insatser: list[dict]


def workbook_path(out_dir: Path, forbund: str, ar: str) -> Path:
    """`<out_dir>/<förbund>/<år>.xlsx`, the förbund's name made safe as a folder name."""
    return Path(out_dir) / safe_name(forbund) / f"{safe_name(ar)}.xlsx"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def complete_years(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every (förbund, year) of the mart whose year is complete at as_of and has any figure: an
    insats registered years before the data begins has zero rows there, nothing to register."""
    rows = con.execute(
        f"""
        select u.forbund, u.period_id
        from marts.{MART} as u
        inner join marts.dim_period as p
            on p.period_typ = 'ar' and p.period_id = u.period_id
        where p.is_complete
        group by all
        having sum(abs(u.budget) + abs(u.utfall) + u.deltagare_totalt + coalesce(abs(u.tilldelade_medel), 0)) > 0
        order by 1, 2
        """
    ).fetchall()
    return [(f, y) for f, y in rows]


def read_registration(con: duckdb.DuckDBPyConnection, forbund: str, ar: str) -> Registration:
    """The mart's rows for one förbund and year; ValueError when there are none or the year is
    not complete at as_of."""
    period = _rows(
        con, "select is_complete, as_of from marts.dim_period where period_typ = 'ar' and period_id = ?", [ar]
    )
    rows = _rows(
        con, f"select * from marts.{MART} where forbund = ? and period_id = ? order by insats_id", [forbund, ar]
    )
    if not period or not rows:
        known = sorted({r[0] for r in con.execute(f"select distinct forbund from marts.{MART}").fetchall()})
        raise ValueError(
            f"no figures for förbund {forbund!r} and year {ar} in marts.{MART} (förbund: {', '.join(known)})"
        )
    if not period[0]["is_complete"]:
        raise ValueError(f"year {ar} is not complete at as_of {period[0]['as_of']}: its figures are not final yet")
    return _registration(forbund, ar, str(period[0]["as_of"]), rows)


def _registration(forbund: str, ar: str, as_of: str, rows: list[dict]) -> Registration:
    """One förbund's rows of one year, its own (FORBUND_ROW) apart from the insatser's."""
    forbund_row = next((r for r in rows if r["insats_id"] == FORBUND_ROW), None)
    return Registration(forbund, ar, as_of, forbund_row, [r for r in rows if r["insats_id"] != FORBUND_ROW])


def write_workbook(reg: Registration, path: Path) -> Path:
    """Write the workbook atomically (temporary name beside `path`, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # in_memory: xlsxwriter otherwise writes each part of the workbook to a temporary file of
    # its own and removes it again, which costs more than the workbook's content
    book = xlsxwriter.Workbook(str(tmp), {"in_memory": True})
    try:
        bold = book.add_format({"bold": True})
        number = {k: book.add_format({"num_format": v}) for k, v in FORMATS.items()}
        head = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})

        sheet = book.add_worksheet("Förbund")
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, 1, 22)
        sheet.write_row(0, 0, ["Förbund", reg.forbund], bold)
        sheet.write_row(1, 0, ["År", int(reg.ar)])
        for i, (label, column, fmt) in enumerate(FORBUND_FIELDS, start=3):
            value = reg.forbund_row[column] if reg.forbund_row else None
            sheet.write(i, 0, label)
            if value is None:
                sheet.write_blank(i, 1, None)
            else:
                sheet.write_number(i, 1, value, number[fmt])
        note = 3 + len(FORBUND_FIELDS) + 1
        sheet.write(note, 0, f"Källa: marts.{MART} (finsam-warehouse), data till och med {reg.as_of}.")
        sheet.write(note + 1, 0, "Deltagare per insats finns på bladet Insatser.")

        sheet = book.add_worksheet("Insatser")
        sheet.write_row(0, 0, [label for label, _, _ in INSATS_FIELDS], head)
        sheet.set_row(0, 32)
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 1, 32)
        sheet.set_column(2, len(INSATS_FIELDS) - 1, 14)
        for r, row in enumerate(reg.insatser, start=1):
            for c, (_, column, fmt) in enumerate(INSATS_FIELDS):
                value = row[column]
                if value is None:
                    sheet.write_blank(r, c, None)
                elif fmt is None:
                    sheet.write_string(r, c, str(value))
                else:
                    sheet.write_number(r, c, value, number[fmt])
        sheet.freeze_panes(1, 2)
        book.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export_one(bi_path: Path, out_dir: Path, forbund: str, ar: str) -> Path:
    with duckdb.connect(str(bi_path), read_only=True) as con:
        reg = read_registration(con, forbund, ar)
    return write_workbook(reg, workbook_path(out_dir, forbund, ar))


def read_registrations(con: duckdb.DuckDBPyConnection) -> list[Registration]:
    """The registration of every förbund and complete year (`complete_years`), read with one
    query rather than one per workbook: what `read_registration` gives for each."""
    years = complete_years(con)
    rows = _rows(
        con,
        f"""
        select u.*, p.as_of as period_as_of
        from marts.{MART} as u
        inner join marts.dim_period as p
            on p.period_typ = 'ar' and p.period_id = u.period_id
        inner join (select unnest(?::varchar[]) as forbund, unnest(?::varchar[]) as ar) as wanted
            on wanted.forbund = u.forbund and wanted.ar = u.period_id
        order by u.forbund, u.period_id, u.insats_id
        """,
        [[f for f, _ in years], [y for _, y in years]],
    )
    by_year: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        by_year.setdefault((row["forbund"], row["period_id"]), []).append(row)
    out = []
    for f, y in years:
        found = by_year[(f, y)]
        as_of = str(found[0]["period_as_of"])
        out.append(_registration(f, y, as_of, [{k: v for k, v in r.items() if k != "period_as_of"} for r in found]))
    return out


def export_all(bi_path: Path, out_dir: Path) -> list[Path]:
    """A workbook for every förbund and complete year in the mart."""
    with duckdb.connect(str(bi_path), read_only=True) as con:
        regs = read_registrations(con)
    return [write_workbook(reg, workbook_path(out_dir, reg.forbund, reg.ar)) for reg in regs]
