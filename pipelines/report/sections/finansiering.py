"""Finansiering (förbund level only): who pays what share."""

from __future__ import annotations

from pipelines.report.charts import Series, bar_chart
from pipelines.report.data import by, total
from pipelines.report.format import text_cell
from pipelines.report.sections.shared import ReportData, Section, Table, TableRow


def finansiering(data: ReportData) -> Section | None:
    if not data.scope.is_forbund:
        return None
    section = Section("finansiering", "Finansiering")
    section.missing = data.missing("finansiering")
    if section.missing:
        return section
    year = data.period.period_start.year
    if data.period.period_slut.year != year:
        section.paragraphs.append("Finansieringen redovisas per kalenderår; perioden spänner över två år.")
        return section
    suppress = data.suppress
    rows = data.reader.select("finansiering", {"forbund": data.scope.forbund, "ar": year}, order_by="part, finansiar")
    if not rows:
        section.paragraphs.append(f"Ingen finansiering registrerad för {year}.")
        return section
    part_label = {"stat": "Staten", "region": "Region", "kommun": "Kommun"}
    table_rows = [
        TableRow(
            [
                text_cell(r["finansiar"]),
                text_cell(part_label.get(r.get("part"), r.get("part") or "")),
                suppress.amount(r["belopp"]),
                suppress.rate(r.get("andel"), pct=True),
            ]
        )
        for r in rows
    ]
    tot = total(rows, "belopp")
    table_rows.append(
        TableRow(
            [text_cell("Summa"), text_cell(""), suppress.amount(tot), suppress.rate(1.0 if tot else None, pct=True)],
            total=True,
        )
    )
    parts = by(rows, "part")
    chart = bar_chart(
        [part_label.get(p, p) for p in parts],
        [Series("Andel", [suppress.rate(total(parts[p], "belopp") / tot if tot else None, pct=True) for p in parts])],
        title="Andel av finansieringen per part",
        percent=True,
    )
    section.paragraphs.append(
        "Enligt FINSAM-lagen finansierar staten (Försäkringskassan och Arbetsförmedlingen) hälften, "
        "regionen en fjärdedel och kommunerna tillsammans en fjärdedel."
    )
    section.tables.append(
        Table(
            title=f"Finansiering {year}",
            sources=["finansiering"],
            header=["Finansiär", "Part", "Belopp, kr", "Andel"],
            rows=table_rows,
            chart=chart,
        )
    )
    return section
