"""Deltagarrapport per månad, as SUS Deltagarrapport månad."""

from __future__ import annotations

from pipelines.report.charts import COLOURS, Series, bar_chart
from pipelines.report.data import by
from pipelines.report.format import text_cell
from pipelines.report.sections.shared import KON_LABEL, GroupTotals, ReportData, Section, Table, TableRow

MANADER = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]


def deltagarrapport_manad(data: ReportData) -> Section:
    section = Section("manad", "Deltagarrapport per månad")
    section.missing = data.missing("genomflode", "dim_period")
    if section.missing:
        return section
    suppress = data.suppress
    months = data.reader.months_of(data.period)
    rows = data.reader.select(
        "genomflode",
        {
            "forbund": data.scope.forbund,
            "insats_id": data.scope.insats_ids,
            "period_typ": "manad",
            "period_id": [m.period_id for m in months],
        },
    )
    per_month = by(rows, "period_id")
    kons = data.kons(rows, data.rows("genomflode"))
    header = (
        ["Månad"]
        + [f"Nyinskrivna {KON_LABEL.get(k, k).lower()}" for k in kons]
        + ["Nyinskrivna totalt", "varav pågående vid månadens slut"]
        + [f"Avslutade {KON_LABEL.get(k, k).lower()}" for k in kons]
        + ["Avslutade totalt", "Snittid avslutade, dagar", "Inskrivna vid månadens slut"]
    )
    crosses_year = data.period.period_start.year != data.period.period_slut.year
    table_rows, cats, nya, avsl = [], [], [], []

    def line(label: str, aggs: dict[str, GroupTotals], t: GroupTotals, total_row: bool) -> TableRow:
        return TableRow(
            [text_cell(label)]
            + [suppress.count(aggs.get(k, GroupTotals([]))["nyinskrivna"]) for k in kons]
            + [suppress.count(t["nyinskrivna"]), suppress.count(t["nyinskrivna_pagaende_vid_periodslut"])]
            + [suppress.count(aggs.get(k, GroupTotals([]))["avslutade"]) for k in kons]
            + [
                suppress.count(t["avslutade"]),
                suppress.rate(t.ratio(None, "summa_dagar_avslutade", "avslutade"), t["avslutade"], digits=0),
                suppress.count(t["inskrivna_vid_periodslut"]),
            ],
            total=total_row,
        )

    for m in months:
        month_rows = per_month.get(m.period_id, [])
        if not month_rows:
            continue
        aggs = {k: GroupTotals(v) for k, v in by(month_rows, "kon").items()}
        t = GroupTotals(month_rows)
        name = MANADER[m.period_start.month - 1]
        table_rows.append(line(f"{name} {m.period_start.year}", aggs, t, False))
        cats.append(name[:3] + (f" {m.period_start.year % 100:02d}" if crosses_year else ""))
        nya.append(suppress.count(t["nyinskrivna"]))
        avsl.append(suppress.count(t["avslutade"]))
    if not table_rows:
        section.paragraphs.append("Insatsen har inga månadsrader i marts.genomflode för perioden.")
        return section
    period_aggs = data.by_kon("genomflode")
    summa = line("Summa perioden", period_aggs, period_aggs["Totalt"], True)
    summa.cells[len(kons) + 2] = suppress.count(period_aggs["Totalt"]["nyinskrivna_pagaende_vid_periodslut"])
    table_rows.append(summa)
    section.paragraphs.append(
        "Som SUS Deltagarrapport månad: inregistreringar och utregistreringar per månad. "
        "I summaraden gäller ”varav pågående” och ”inskrivna” vid periodens slut, och snittiden avser alla "
        "avslutade under perioden."
    )
    chart = bar_chart(
        cats,
        [Series("Nyinskrivna", nya), Series("Avslutade", avsl)],
        title="Nyinskrivna och avslutade per månad",
        horizontal=False,
        width=max(260, 46 * len(cats)),
        colours=[COLOURS[0], COLOURS[2]],
    )
    section.tables.append(
        Table(
            title="Deltagarrapport per månad",
            sources=["genomflode", "dim_period"],
            header=header,
            rows=table_rows,
            chart=chart,
        )
    )
    return section
