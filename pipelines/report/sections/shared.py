"""What every section uses: the report's data (scope, the two periods, cached mart rows), the
sums of a group of rows, the tables and sections the template renders, and the labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pipelines.report.data import MartReader, Period, Row, Scope, by, kon_list, ratio, total
from pipelines.report.format import NOTHING, Cell, Suppressor

KON_LABEL = {"Kvinna": "Kvinnor", "Man": "Män", "Okänt": "Kön okänt"}
UTFALL = [  # (resultat column, utfall code, label)
    ("till_arbete", "arbete", "Arbete"),
    ("till_studier", "studier", "Studier"),
    ("till_arbetslivsinriktad_rehab", "arbetslivsinriktad_rehab", "Arbetslivsinriktad rehabilitering"),
    ("till_aktivt_arbetssokande", "aktivt_arbetssokande", "Aktivt arbetssökande"),
    ("till_sjukdom", "sjukdom", "Sjukdom"),
    ("till_ovrigt", "ovrigt", "Övrigt"),
]
UTFALL_LABEL = {code: label for _, code, label in UTFALL}
PERIOD_TYP = {  # period_typ: (report title, the period in running text)
    "manad": ("Månadsrapport", "månaden"),
    "kvartal": ("Kvartalsrapport", "kvartalet"),
    "halvar": ("Halvårsrapport", "halvåret"),
    "ar": ("Årsrapport", "året"),
    "rullande_12": ("Rapport rullande tolv månader", "tolvmånadersperioden"),
}


@dataclass
class TableRow:
    """One row of a table: its formatted cells; a sum row or the comparison period's row is set off."""

    cells: list[Cell]
    total: bool = False
    comparison: bool = False


@dataclass
class Table:
    """One numbered table of a section with the marts it comes from and its chart (inline SVG)."""

    title: str
    sources: list[str]
    header: list[str]
    rows: list[TableRow]
    note: str | None = None
    chart: str = ""
    number: int = 0

    @property
    def wide(self) -> bool:
        """Many columns: the table takes the full width and its chart goes below it."""
        return len(self.header) > 8

    @property
    def header_css(self) -> list[str]:
        """A column's header aligns as its cells do (text left, numbers right)."""
        first = self.rows[0].cells if self.rows else []
        return [
            "txt" if i == 0 or (i < len(first) and first[i].kind == "txt") else "num" for i in range(len(self.header))
        ]

    @property
    def source_text(self) -> str:
        return "Källa: " + ", ".join(f"marts.{s}" for s in self.sources)


@dataclass
class Section:
    """One heading of the report: running text and tables, or why the section is left out."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing: str | None = None  # the section is omitted: why


class GroupTotals:
    """Rows of one group (e.g. one kon over the förbund's insatser) and their sums."""

    def __init__(self, rows: list[Row]):
        self.rows = rows

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __getitem__(self, column: str) -> Any:
        return total(self.rows, column)

    def ratio(self, rate_column: str | None, num: str, den: str) -> float | None:
        return ratio(self.rows, rate_column, num, den)


@dataclass
class ReportData:
    """What one report is made from: the scope (one insats or a whole förbund), the period and the
    comparison period (the same period one year earlier; None before the data starts), the
    small-count rule every number goes through (`suppress`) and the mart rows read so far."""

    reader: MartReader
    scope: Scope
    period: Period
    comparison_period: Period | None
    comparison_id: str
    suppress: Suppressor
    _cache: dict = field(default_factory=dict)

    @property
    def period_label(self) -> str:
        return self.period.period_id

    @property
    def comparison_label(self) -> str:
        return self.comparison_id

    def rows(self, mart: str, comparison: bool = False, extra_insats: tuple[str, ...] = ()) -> list[Row]:
        key = (mart, comparison, extra_insats)
        if key not in self._cache:
            period = self.comparison_period if comparison else self.period
            self._cache[key] = self.reader.facts(mart, self.scope, period, extra_insats)
        return self._cache[key]

    def by_kon(self, mart: str, comparison: bool = False, rows: list[Row] | None = None) -> dict[str, GroupTotals]:
        """Rows summed per kon over the scope's insatser, plus 'Totalt'."""
        rows = self.rows(mart, comparison) if rows is None else rows
        out = {k: GroupTotals(v) for k, v in by(rows, "kon").items()}
        out["Totalt"] = GroupTotals(rows)
        return out

    def kons(self, *row_lists: list[Row]) -> list[str]:
        return kon_list([r for rows in row_lists for r in rows])

    def missing(self, *marts: str, columns: dict[str, list[str]] | None = None) -> str | None:
        absent = [m for m in marts if not self.reader.has(m)]
        if absent:
            names = ", ".join(f"marts.{m}" for m in absent)
            return f"Avsnittet utelämnas: {names} finns inte i bi.duckdb (ännu inte byggd)."
        for mart, cols in (columns or {}).items():
            lacking = self.reader.missing_columns(mart, cols)
            if lacking:
                return f"Avsnittet utelämnas: marts.{mart} saknar kolumnerna {', '.join(lacking)}."
        return None

    @cached_property
    def malutfall(self) -> list[str]:
        codes: list[str] = []
        for insats in self.scope.insats:
            for code in insats.get("malutfall") or []:
                if code not in codes:
                    codes.append(code)
        return codes


def kon_header(kons: list[str]) -> list[str]:
    return [KON_LABEL.get(k, k) for k in kons] + ["Totalt"]


def comparison_note(data: ReportData) -> str | None:
    if data.comparison_period is None:
        return f"Jämförelseperioden {data.comparison_label} finns inte i data (före första registreringen)."
    if not data.period.is_complete:
        return (
            f"Perioden {data.period_label} är inte avslutad (data till och med {data.period.period_slut_as_of}); "
            f"jämförelseperioden {data.comparison_label} är hel."
        )
    return None


def belaggningsgrad(data: ReportData, group: GroupTotals) -> float | None:
    if not group:
        return None
    if data.scope.is_forbund:
        platser = [i.get("arsplatser") for i in data.scope.insats]
        if any(p is None for p in platser) or not sum(platser):
            return None
        return group["arsplatser_nyttjade"] / sum(platser)
    values = [r.get("belaggningsgrad") for r in group.rows]
    return None if all(v is None for v in values) else sum(v or 0 for v in values)


def aterbetalningstid(suppress: Suppressor, a: GroupTotals) -> Cell:
    if not a:
        return Cell(NOTHING, "na")
    besparing = a["besparing_per_manad"]
    if len(a.rows) == 1:
        value = a.rows[0].get("aterbetalningstid_man")
    else:
        value = a["utfall_period"] / besparing if besparing and besparing > 0 else None
    return suppress.rate(value, a["avslutade_till_resultat_skattade"], digits=1)
