"""Resultat: utfall, i mål, genomströmningstid and stegförflyttning."""

from __future__ import annotations

from pipelines.report.charts import Series, bar_chart
from pipelines.report.format import NOTHING, Cell, text_cell
from pipelines.report.sections.shared import (
    KON_LABEL,
    UTFALL,
    UTFALL_LABEL,
    GroupTotals,
    ReportData,
    Section,
    Table,
    TableRow,
    comparison_note,
    kon_header,
)


def resultat(data: ReportData) -> Section:
    section = Section("resultat", "Resultat")
    section.missing = data.missing("resultat")
    if section.missing:
        return section
    suppress = data.suppress
    rows = data.rows("resultat")
    kons = data.kons(rows)
    this, comp = data.by_kon("resultat"), data.by_kon("resultat", True)
    t, c = this["Totalt"], comp["Totalt"]
    malutfall = data.malutfall
    mal_text = ", ".join(UTFALL_LABEL.get(code, code).lower() for code in malutfall)
    section.paragraphs.append(
        f"Resultatet mäts över deltagare som avslutats efter prövotiden (avslutade till resultat). "
        f"Insatsens mål (marts.dim_insats, malutfall): {mal_text or 'inte registrerat'}. "
        "En deltagare är i mål när utfallet vid avslut ingår i målet."
    )

    def kon_cells(col: str) -> list[Cell]:
        return [suppress.count(this.get(k, GroupTotals([]))[col]) for k in kons] + [suppress.count(t[col])]

    table_rows = []
    for col, code, label in UTFALL:
        table_rows.append(
            TableRow(
                [text_cell(label)]
                + kon_cells(col)
                + [
                    suppress.share(t[col], t["avslutade_till_resultat"]),
                    text_cell("ja" if code in malutfall else ""),
                    suppress.count(c[col]),
                ]
            )
        )
    table_rows.append(
        TableRow(
            [text_cell("Summa avslutade till resultat")]
            + kon_cells("avslutade_till_resultat")
            + [
                suppress.share(t["avslutade_till_resultat"], t["avslutade_till_resultat"]),
                text_cell(""),
                suppress.count(c["avslutade_till_resultat"]),
            ],
            total=True,
        )
    )
    table_rows.append(
        TableRow(
            [text_cell("I mål")]
            + kon_cells("i_mal")
            + [suppress.share(t["i_mal"], t["avslutade_till_resultat"]), text_cell(""), suppress.count(c["i_mal"])],
            total=True,
        )
    )
    # "Andel i mål" per kon and in total; the Andel and goal columns stay empty on this row
    andel_row = [text_cell("Andel i mål")]
    andel_row += [
        suppress.share(this.get(k, GroupTotals([]))["i_mal"], this.get(k, GroupTotals([]))["avslutade_till_resultat"])
        for k in kons
    ]
    andel_row += [
        suppress.share(t["i_mal"], t["avslutade_till_resultat"]),
        Cell(NOTHING, "na"),
        text_cell(""),
        suppress.share(c["i_mal"], c["avslutade_till_resultat"]),
    ]
    table_rows.append(TableRow(andel_row, total=True))
    chart = bar_chart(
        [label for _, _, label in UTFALL],
        [
            Series(data.period_label, [suppress.count(t[col]) for col, _, _ in UTFALL]),
            Series(data.comparison_label, [suppress.count(c[col]) for col, _, _ in UTFALL]),
        ],
        title="Utfall vid avslut",
    )
    section.tables.append(
        Table(
            title="Utfall för avslutade till resultat",
            sources=["resultat", "dim_insats"],
            header=["Utfall"] + kon_header(kons) + ["Andel", "Ingår i mål", f"Totalt {data.comparison_label}"],
            rows=table_rows,
            chart=chart,
            note=comparison_note(data),
        )
    )

    # genomströmningstid by sex
    gt_rows = []
    for k in kons + ["Totalt"]:
        a, b = this.get(k, GroupTotals([])), comp.get(k, GroupTotals([]))
        gt_rows.append(
            TableRow(
                [
                    text_cell(KON_LABEL.get(k, k)),
                    suppress.count(a["i_mal"]),
                    suppress.rate(a.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), a["i_mal"]),
                    suppress.count(b["i_mal"]),
                    suppress.rate(b.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), b["i_mal"]),
                ],
                total=k == "Totalt",
            )
        )
    gt_chart = bar_chart(
        [KON_LABEL.get(k, k) for k in kons + ["Totalt"]],
        [
            Series(data.period_label, [r.cells[2] for r in gt_rows]),
            Series(data.comparison_label, [r.cells[4] for r in gt_rows]),
        ],
        title="Genomströmningstid, månader",
    )
    section.tables.append(
        Table(
            title="Genomströmningstid för dem som gick i mål, per kön",
            sources=["resultat"],
            header=[
                "Kön",
                f"I mål {data.period_label}",
                f"Månader {data.period_label}",
                f"I mål {data.comparison_label}",
                f"Månader {data.comparison_label}",
            ],
            rows=gt_rows,
            chart=gt_chart,
            note="Genomströmningstid = medeltid i insatsen i månader (30,4375 dagar) för dem som avslutades i mål.",
        )
    )

    # stegförflyttning
    steg_rows = []
    for k in kons + ["Totalt"]:
        a = this.get(k, GroupTotals([]))
        matta, upp, ned = a["steg_matta"], a["steg_upp"], a["steg_ned"]
        same = None if matta is None else matta - (upp or 0) - (ned or 0)
        same_cell = Cell("..", "hidden") if suppress.any_small(upp, ned) and same else suppress.count(same)
        steg_rows.append(
            TableRow(
                [
                    text_cell(KON_LABEL.get(k, k)),
                    suppress.count(matta),
                    suppress.count(upp),
                    same_cell,
                    suppress.count(ned),
                    suppress.share(upp, matta),
                    suppress.share(
                        comp.get(k, GroupTotals([]))["steg_upp"], comp.get(k, GroupTotals([]))["steg_matta"]
                    ),
                ],
                total=k == "Totalt",
            )
        )
    tot = steg_rows[-1].cells

    def steg_cells(a: GroupTotals) -> list[Cell]:
        if not a:
            return [Cell(NOTHING, "na")] * 3
        matta, upp, ned = a["steg_matta"], a["steg_upp"], a["steg_ned"]
        same = matta - upp - ned
        return [
            suppress.count(upp),
            Cell("..", "hidden") if suppress.any_small(upp, ned) and same else suppress.count(same),
            suppress.count(ned),
        ]

    steg_chart = bar_chart(
        ["Steg upp", "Oförändrat", "Steg ned"],
        [Series(data.period_label, [tot[2], tot[3], tot[4]]), Series(data.comparison_label, steg_cells(c))],
        title="Stegförflyttning i processtrappan",
    )
    section.tables.append(
        Table(
            title="Stegförflyttning i processtrappan",
            sources=["resultat"],
            header=[
                "Kön",
                "Mätta vid start och avslut",
                "Steg upp",
                "Oförändrat",
                "Steg ned",
                f"Andel steg upp {data.period_label}",
                f"Andel steg upp {data.comparison_label}",
            ],
            rows=steg_rows,
            chart=steg_chart,
            note="Över avslutade till resultat med steg mätt både vid start och vid avslut.",
        )
    )
    return section
