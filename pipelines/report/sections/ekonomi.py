"""Ekonomi: budget and outcome per kostnadsslag (and per insats at förbund level)."""

from __future__ import annotations

from pipelines.report.charts import COLOURS, Series, bar_chart
from pipelines.report.data import FORBUND_ADMIN, by, total
from pipelines.report.format import NOTHING, Cell, text_cell
from pipelines.report.sections.shared import GroupTotals, ReportData, Section, Table, TableRow

EKONOMI_COLS = [
    "budget",
    "periodiserad_budget",
    "utfall_period",
    "ackumulerat",
    "aterstar",
    "avvikelse_mot_periodiserad",
]


def ekonomi(data: ReportData) -> Section:
    section = Section("ekonomi", "Ekonomi")
    section.missing = data.missing("ekonomi", columns={"ekonomi": ["kostnadsslag"] + EKONOMI_COLS})
    if section.missing:
        return section
    suppress = data.suppress
    extra = (FORBUND_ADMIN,) if data.scope.is_forbund else ()
    rows, comp_rows = data.rows("ekonomi", extra_insats=extra), data.rows("ekonomi", True, extra_insats=extra)
    if not rows:
        if data.period.period_typ == "rullande_12":
            section.paragraphs.append(
                "Ekonomin redovisas per budgetår; en rullande tolvmånadersperiod spänner över två budgetår och har "
                "ingen budget (marts.ekonomi har inga rader för den). Periodens kostnad finns under Kostnad per deltagare."
            )
        else:
            section.paragraphs.append("Ingen budget och ingen bokförd kostnad för perioden i marts.ekonomi.")
        return section
    sort = {r["kostnadsslag"]: r.get("kostnadsslag_sortering") or 0 for r in rows}
    per, per_comp = by(rows, "kostnadsslag"), by(comp_rows, "kostnadsslag")
    slag = sorted(per, key=lambda k: (sort.get(k, 0), k))

    def line(label: str, a: GroupTotals, ac: GroupTotals, total_row: bool) -> TableRow:
        grad = a.ratio("forbrukningsgrad", "ackumulerat", "budget")
        return TableRow(
            [text_cell(label)]
            + [
                suppress.amount(a[c])
                for c in ("budget", "periodiserad_budget", "utfall_period", "ackumulerat", "aterstar")
            ]
            + [
                suppress.rate(grad, pct=True),
                suppress.amount(a["avvikelse_mot_periodiserad"]),
                suppress.amount(ac["utfall_period"]) if ac else Cell(NOTHING, "na"),
            ],
            total=total_row,
        )

    table_rows = [line(k, GroupTotals(per[k]), GroupTotals(per_comp.get(k, [])), False) for k in slag]
    table_rows.append(line("Summa", GroupTotals(rows), GroupTotals(comp_rows), True))
    year = rows[0].get("ar") or data.period.period_start.year
    section.paragraphs.append(
        f"Budget = förbundets beslutade budget för hela år {year}. Periodiserad budget = budgeten × månader från "
        "januari till periodens slut / 12. Ackumulerat = bokförd kostnad från 1 januari till periodens slut; "
        "återstår = budget − ackumulerat; avvikelse = ackumulerat − periodiserad budget (positiv = snabbare "
        "förbrukning än budgeten). Belopp i kronor."
        + (" På förbundsnivå ingår förbundets egen administration." if data.scope.is_forbund else "")
    )
    chart = bar_chart(
        slag,
        [
            Series("Budget helår", [suppress.amount(total(per[k], "budget")) for k in slag]),
            Series("Periodiserad budget", [suppress.amount(total(per[k], "periodiserad_budget")) for k in slag]),
            Series("Ackumulerat", [suppress.amount(total(per[k], "ackumulerat")) for k in slag]),
        ],
        title="Budget och ackumulerat utfall, kr",
        colours=[COLOURS[1], COLOURS[3], COLOURS[0]],
    )
    section.tables.append(
        Table(
            title=f"Budget och utfall per kostnadsslag, {data.period_label}",
            sources=["ekonomi"],
            header=[
                "Kostnadsslag",
                "Budget helår",
                "Periodiserad budget",
                "Utfall perioden",
                "Ackumulerat",
                "Återstår",
                "Förbrukningsgrad",
                "Avvikelse mot periodiserad budget",
                f"Utfall {data.comparison_label}",
            ],
            rows=table_rows,
            chart=chart,
        )
    )
    if data.scope.is_forbund:
        names = {i["insats_id"]: i.get("insatsnamn") or i["insats_id"] for i in data.scope.insats}
        names[FORBUND_ADMIN] = "Förbundets administration"
        per_insats = by(rows, "insats_id")
        order = [i for i in data.scope.insats_ids if i in per_insats] + [
            i for i in per_insats if i not in data.scope.insats_ids
        ]
        ins_rows = []
        for i in order:
            a = GroupTotals(per_insats[i])
            ins_rows.append(
                TableRow(
                    [text_cell(names.get(i, i))]
                    + [suppress.amount(a[c]) for c in ("budget", "utfall_period", "ackumulerat", "aterstar")]
                    + [suppress.rate(a.ratio(None, "ackumulerat", "budget"), pct=True)]
                )
            )
        a = GroupTotals(rows)
        ins_rows.append(
            TableRow(
                [text_cell("Summa")]
                + [suppress.amount(a[c]) for c in ("budget", "utfall_period", "ackumulerat", "aterstar")]
                + [suppress.rate(a.ratio(None, "ackumulerat", "budget"), pct=True)],
                total=True,
            )
        )
        section.tables.append(
            Table(
                title="Budget och utfall per insats",
                sources=["ekonomi", "dim_insats"],
                header=["Insats", "Budget helår", "Utfall perioden", "Ackumulerat", "Återstår", "Förbrukningsgrad"],
                rows=ins_rows,
            )
        )
    return section
