"""Försörjning före och efter insatsen, as SUS Försörjningsförändringar."""

from __future__ import annotations

from pipelines.report.charts import COLOURS, Series, bar_chart
from pipelines.report.data import by, total
from pipelines.report.format import NOTHING, Cell, fmt_number, text_cell
from pipelines.report.sections.shared import GroupTotals, ReportData, Section, Table, TableRow


def forsorjning(data: ReportData) -> Section:
    section = Section("forsorjning", "Försörjning före och efter insatsen")
    section.missing = data.missing("forsorjning")
    if section.missing:
        return section
    suppress = data.suppress
    rows = data.rows("forsorjning")
    if not rows:
        section.paragraphs.append("Inga rader i marts.forsorjning för perioden.")
        return section
    order: dict[str, int] = {}
    for r in rows:
        order[r["forsorjningskalla"]] = min(order.get(r["forsorjningskalla"], 10**9), r.get("sortering") or 0)
    per = by(rows, "forsorjningskalla")
    sum_fore, sum_efter = total(rows, "antal_fore"), total(rows, "antal_efter")
    kallor = [
        k
        for k in sorted(order, key=lambda k: (order[k], k))
        if total(per[k], "antal_fore") or total(per[k], "antal_efter")
    ]
    table_rows, c_fore, c_efter = [], [], []
    for k in kallor:
        fore, efter = total(per[k], "antal_fore"), total(per[k], "antal_efter")
        pct = None if not fore else 100 * (efter - fore) / fore
        pct_cell = suppress.rate(pct, fore, efter, digits=0) if pct is not None else Cell(NOTHING, "na")
        if pct_cell.kind == "num":
            pct_cell = Cell(fmt_number(pct, 0), "num", pct)
        table_rows.append(
            TableRow(
                [
                    text_cell(k),
                    suppress.count(fore),
                    suppress.share(fore, sum_fore),
                    suppress.count(efter),
                    suppress.share(efter, sum_efter),
                    suppress.diff(fore, efter),
                    pct_cell,
                ]
            )
        )
        c_fore.append(suppress.count(fore))
        c_efter.append(suppress.count(efter))
    table_rows.append(
        TableRow(
            [
                text_cell("Summa försörjningskällor"),
                suppress.count(sum_fore),
                suppress.share(sum_fore, sum_fore),
                suppress.count(sum_efter),
                suppress.share(sum_efter, sum_efter),
                suppress.diff(sum_fore, sum_efter),
                Cell(NOTHING, "na"),
            ],
            total=True,
        )
    )
    avslutade = GroupTotals(data.rows("genomflode"))["avslutade"] if data.reader.has("genomflode") else None
    section.paragraphs.append(
        f"Deltagarnas försörjning vid start och vid avslut, för alla som avslutats under perioden "
        f"({suppress.n(avslutade)} deltagare), som SUS Försörjningsförändringar. En deltagare kan ha flera "
        "försörjningskällor samtidigt, så summan av källor är vanligtvis högre än antalet deltagare; andelarna är "
        "andelar av summan av källor. Utan registrerad källa efter räknas deltagaren under Uppgift saknas."
    )
    chart = bar_chart(
        kallor,
        [Series("Före insatsen", c_fore), Series("Efter insatsen", c_efter)],
        title="Försörjningskällor före och efter",
        colours=[COLOURS[0], COLOURS[2]],
    )
    section.tables.append(
        Table(
            title=f"Försörjningsförändringar {data.period_label}",
            sources=["forsorjning"] + (["genomflode"] if avslutade is not None else []),
            header=[
                "Försörjningskälla",
                "Antal före",
                "Andel före",
                "Antal efter",
                "Andel efter",
                "Förändring",
                "Förändring i %",
            ],
            rows=table_rows,
            chart=chart,
            note=f"{hidden} källor utan deltagare visas inte." if (hidden := len(order) - len(kallor)) else None,
        )
    )
    return section
