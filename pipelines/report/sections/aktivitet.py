"""Aktiviteter i Pro Capita: fullföljande and närvaro."""

from __future__ import annotations

from pipelines.report.charts import Series, bar_chart
from pipelines.report.data import by
from pipelines.report.format import NOTHING, Cell, text_cell
from pipelines.report.sections.shared import GroupTotals, ReportData, Section, Table, TableRow

AKTIVITET_REFERENS = 0.9  # Malmö's target for fullföljandegrad (docs/metrics/activity.md)


def aktivitet(data: ReportData) -> Section:
    section = Section("aktivitet", "Aktiviteter i Pro Capita: fullföljande och närvaro")
    section.missing = data.missing("aktivitet")
    if section.missing:
        return section
    suppress = data.suppress
    rows, comp_rows = data.rows("aktivitet"), data.rows("aktivitet", True)
    if not rows:
        section.paragraphs.append("Inga aktiviteter i Pro Capita för insatsen under perioden.")
        return section
    per = by(rows, "aktivitet")
    names = sorted(per)

    def line(label: str, a: GroupTotals, total_row: bool = False, comparison: bool = False) -> TableRow:
        return TableRow(
            [
                text_cell(label),
                suppress.count(a["avslutade_aktiviteter"]),
                suppress.count(a["fullfoljda"]),
                suppress.count(a["avbrutna"]),
                suppress.rate(_fullfoljandegrad(a), a["fullfoljda"], a["avbrutna"], pct=True),
                suppress.amount(a["planerade_timmar"], 1),
                suppress.amount(a["narvarotimmar"], 1),
                suppress.rate(a.ratio(None, "narvarotimmar", "planerade_timmar"), pct=True),
            ],
            total=total_row,
            comparison=comparison,
        )

    table_rows = [line(n, GroupTotals(per[n])) for n in names]
    table_rows.append(line("Totalt", GroupTotals(rows), total_row=True))
    table_rows.append(
        line(f"Totalt {data.comparison_label}", GroupTotals(comp_rows), comparison=True)
        if comp_rows
        else TableRow([text_cell(f"Totalt {data.comparison_label}")] + [Cell(NOTHING, "na")] * 7, comparison=True)
    )
    chart = bar_chart(
        names + ["Totalt"],
        [Series("Fullföljandegrad", [r.cells[4] for r in table_rows[: len(names) + 1]])],
        title="Fullföljandegrad (referens 90 %)",
        percent=True,
        rule=AKTIVITET_REFERENS,
    )
    section.paragraphs.append(
        "Fullföljandegrad = aktiviteter avslutade som fullföljda / (fullföljda + avbrutna) bland aktiviteter som "
        "avslutats under perioden (Aktivitetscenter Malmös mål: 90 %). Närvarograd = närvarotimmar / planerade timmar."
    )
    section.tables.append(
        Table(
            title="Aktiviteter per typ",
            sources=["aktivitet"],
            header=[
                "Aktivitet",
                "Avslutade aktiviteter",
                "Fullföljda",
                "Avbrutna",
                "Fullföljandegrad",
                "Planerade timmar",
                "Närvarotimmar",
                "Närvarograd",
            ],
            rows=table_rows,
            chart=chart,
        )
    )
    return section


def _fullfoljandegrad(a: GroupTotals) -> float | None:
    if not a:
        return None
    den = (a["fullfoljda"] or 0) + (a["avbrutna"] or 0)
    return a["fullfoljda"] / den if den else None
