"""The report's sections, in the order the teams' own reports use (000_… Avesta 2018, 004_…
Västerås H1 2022): summary, participant flow, the monthly registration table, results against
the goal, end reasons, income before and after, time in insats, background of the new
participants, economics, unit costs and payback, Pro Capita activities, data notes.

Each builder selects mart rows for the period and for the comparison period (the same period
one year earlier), shapes them (sums over kon and over the förbund's insatser, pivots), and
returns tables of already formatted and suppressed cells, each with its chart. A section whose
mart is missing from bi.duckdb is kept as a heading with a short note.
"""

from __future__ import annotations

from collections.abc import Callable

from pipelines.report.sections.aktivitet import aktivitet
from pipelines.report.sections.datakvalitet import datakvalitet
from pipelines.report.sections.deltagarflode import deltagarflode
from pipelines.report.sections.deltagarrapport_manad import deltagarrapport_manad
from pipelines.report.sections.ekonomi import ekonomi
from pipelines.report.sections.finansiering import finansiering
from pipelines.report.sections.fordelning import avslutsanledningar, bakgrund, tid_i_insats
from pipelines.report.sections.forsorjning import forsorjning
from pipelines.report.sections.jamforelse import jamforelse
from pipelines.report.sections.kostnader import kostnader
from pipelines.report.sections.overgangar import overgangar
from pipelines.report.sections.resultat import resultat
from pipelines.report.sections.sammanfattning import sammanfattning
from pipelines.report.sections.shared import PERIOD_TYP, ReportData, Section, Table, TableRow

__all__ = ["PERIOD_TYP", "ReportData", "Section", "Table", "TableRow", "build_sections", "datakvalitet"]

BUILDERS: list[Callable[[ReportData], Section | None]] = [
    sammanfattning,
    deltagarflode,
    deltagarrapport_manad,
    resultat,
    avslutsanledningar,
    forsorjning,
    overgangar,
    tid_i_insats,
    bakgrund,
    ekonomi,
    kostnader,
    aktivitet,
    finansiering,
    jamforelse,
]


def build_sections(data: ReportData) -> list[Section]:
    sections = [s for s in (b(data) for b in BUILDERS) if s is not None]
    n = 0
    for s in sections:
        for t in s.tables:
            n += 1
            t.number = n
    return sections
