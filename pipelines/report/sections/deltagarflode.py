"""Deltagarflöde: participant flow per kon, time in insats and capacity."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.report.charts import Series, bar_chart
from pipelines.report.format import NOTHING, Cell, fmt_number, text_cell
from pipelines.report.sections.shared import (
    KON_LABEL,
    GroupTotals,
    ReportData,
    Section,
    Table,
    TableRow,
    belaggningsgrad,
    comparison_note,
)

FLODE = [
    ("inskrivna_vid_periodstart", "Inskrivna vid periodstart"),
    ("nyinskrivna", "Nyinskrivna"),
    ("avslutade", "Avslutade"),
    ("tidiga_avhopp", "varav tidiga avhopp"),
    ("avslutade_till_resultat", "varav till resultat"),
    ("inskrivna_vid_periodslut", "Inskrivna vid periodslut"),
    ("aktiva", "Aktiva under perioden"),
]


def deltagarflode(data: ReportData) -> Section:
    section = Section("deltagarflode", "Deltagarflöde")
    section.missing = data.missing("genomflode")
    if section.missing:
        return section
    suppress = data.suppress
    rows = data.rows("genomflode")
    kons = data.kons(rows)
    this, comp = data.by_kon("genomflode"), data.by_kon("genomflode", True)
    table_rows = []
    for k in kons + ["Totalt"]:
        a = this.get(k, GroupTotals([]))
        table_rows.append(
            TableRow([text_cell(KON_LABEL.get(k, k))] + [suppress.count(a[c]) for c, _ in FLODE], total=k == "Totalt")
        )
    c = comp["Totalt"]
    table_rows.append(
        TableRow(
            [text_cell(f"Totalt {data.comparison_label}")] + [suppress.count(c[col]) for col, _ in FLODE],
            comparison=True,
        )
    )
    chart_cols = ["inskrivna_vid_periodstart", "nyinskrivna", "avslutade", "inskrivna_vid_periodslut"]
    labels = dict(FLODE)
    chart = bar_chart(
        [labels[c] for c in chart_cols],
        [
            Series(data.period_label, [suppress.count(this["Totalt"][c]) for c in chart_cols]),
            Series(data.comparison_label, [suppress.count(comp["Totalt"][c]) for c in chart_cols]),
        ],
        title="Deltagarflöde",
    )
    section.paragraphs.append(
        "Inskrivna vid periodstart + nyinskrivna − avslutade = inskrivna vid periodslut. Tidiga avhopp är "
        "avslutade inom insatsens prövotid; övriga avslutade räknas till resultat."
    )
    section.tables.append(
        Table(
            title="Deltagarflöde per kön",
            sources=["genomflode"],
            header=["Kön"] + [lbl for _, lbl in FLODE],
            rows=table_rows,
            chart=chart,
            note=comparison_note(data),
        )
    )

    # time and capacity
    t, tc = this["Totalt"], comp["Totalt"]

    def pair(fn: Callable[[GroupTotals], Cell]) -> list[Cell]:
        return [fn(t) if t else Cell(NOTHING, "na"), fn(tc) if tc else Cell(NOTHING, "na")]

    kap_rows = [
        (
            "Snittid nyinskrivna, dagar",
            pair(
                lambda a: suppress.rate(
                    a.ratio(None, "summa_dagar_nyinskrivna", "nyinskrivna"), a["nyinskrivna"], digits=0
                )
            ),
        ),
        (
            "Snittid avslutade, dagar",
            pair(
                lambda a: suppress.rate(a.ratio(None, "summa_dagar_avslutade", "avslutade"), a["avslutade"], digits=0)
            ),
        ),
        ("Deltagardagar", pair(lambda a: suppress.amount(a["deltagardagar"]))),
        ("Nyttjade årsplatser", pair(lambda a: suppress.amount(a["arsplatser_nyttjade"], 1))),
    ]
    platser = [i.get("arsplatser") for i in data.scope.insats]
    platser_text = fmt_number(sum(platser), 1) if platser and all(p is not None for p in platser) else NOTHING
    kap_rows.append(("Årsplatser (insatsregistret)", [Cell(platser_text), Cell(platser_text)]))
    kap_rows.append(("Beläggningsgrad", pair(lambda a: suppress.rate(belaggningsgrad(data, a), pct=True))))
    if data.period.period_typ == "ar" or (data.comparison_period and data.comparison_period.period_typ == "ar"):
        kap_rows.append(("Anonyma deltagare (ingår inte ovan)", pair(lambda a: suppress.count(a["anonyma"]))))
    section.tables.append(
        Table(
            title="Tid i insats och kapacitet",
            sources=["genomflode", "dim_insats"],
            header=["Mått", data.period_label, data.comparison_label],
            rows=[TableRow([text_cell(lbl)] + cells) for lbl, cells in kap_rows],
            note="Snittid nyinskrivna räknas till periodens slut för dem som fortfarande är inskrivna (SUS Deltagarrapport).",
        )
    )
    return section
