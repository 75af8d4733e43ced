"""Jämförelse med andra förbund (förbund level, half-years and years): the förbund beside the
median and quartiles of all förbund."""

from __future__ import annotations

from pipelines.report.format import Cell, Suppressor, fmt_number, text_cell
from pipelines.report.sections.shared import ReportData, Section, Table, TableRow

JAMFORELSE_MIN_FORBUND = (
    3  # docs/metrics/comparison.md: the comparison is shown only where at least 3 förbund have a value
)


# matt: (label, how the value is shown: pct | man | kr | dagar, whether taljare and namnare count people)
JAMFORELSE_MATT = {
    "andel_i_mal": ("Andel i mål", "pct", (True, True)),
    "andel_tidiga_avhopp": ("Andel tidiga avhopp", "pct", (True, True)),
    "belaggningsgrad": ("Beläggningsgrad", "pct", (False, False)),
    "genomstromningstid_man": ("Genomströmningstid, månader", "man", (False, True)),
    "kostnad_per_deltagare": ("Kostnad per deltagare, kr", "kr", (False, True)),
    "andel_steg_upp": ("Andel steg upp i processtrappan", "pct", (True, True)),
    "snittid_avslutade_dagar": ("Snittid i insatsen för avslutade, dagar", "dagar", (False, True)),
}


def _jamforelse_cell(suppress: Suppressor, matt: str, value: float | None, counts: tuple = ()) -> Cell:
    visning = JAMFORELSE_MATT[matt][1]
    if visning == "pct":
        return suppress.rate(value, *counts, pct=True)
    return suppress.rate(value, *counts, digits=1 if visning == "man" else 0)


def jamforelse(data: ReportData) -> Section | None:
    if not data.scope.is_forbund or data.period.period_typ not in ("halvar", "ar"):
        return None
    section = Section("jamforelse", "Jämförelse med andra förbund")
    section.missing = data.missing("jamforelse")
    if section.missing:
        return section
    suppress = data.suppress
    rows = {
        r["matt"]: r
        for r in data.reader.select(
            "jamforelse",
            {"forbund": data.scope.forbund, "period_typ": data.period.period_typ, "period_id": data.period.period_id},
        )
    }
    shown = [m for m in JAMFORELSE_MATT if m in rows and (rows[m]["antal_forbund"] or 0) >= JAMFORELSE_MIN_FORBUND]
    if not shown:
        section.paragraphs.append(
            f"Jämförelsen visas där minst {JAMFORELSE_MIN_FORBUND} förbund har ett värde för perioden; så är det inte för {data.period_label}."
        )
        return section
    table_rows = []
    for m in shown:
        r = rows[m]
        people = JAMFORELSE_MATT[m][2]
        counts = tuple(n for n, is_people in zip((r["taljare"], r["namnare"]), people, strict=True) if is_people)
        table_rows.append(
            TableRow(
                [
                    text_cell(JAMFORELSE_MATT[m][0]),
                    _jamforelse_cell(suppress, m, r["varde"], counts),
                    _jamforelse_cell(suppress, m, r["p25"]),
                    _jamforelse_cell(suppress, m, r["median"]),
                    _jamforelse_cell(suppress, m, r["p75"]),
                    Cell(fmt_number(r["antal_forbund"]), "num", float(r["antal_forbund"])),
                ]
            )
        )
    section.paragraphs.append(
        "Förbundets egna värden beräknade över alla dess insatser (summor, inte medelvärden av insatsernas värden), "
        "bredvid median och kvartiler över alla förbund i underlaget som har ett värde för perioden. Andra förbund "
        "namnges inte. Ett mått visas när minst tre förbund har ett värde."
    )
    section.tables.append(
        Table(
            title=f"Jämförelse med andra förbund {data.period_label}",
            sources=["jamforelse"],
            header=["Mått", "Förbundet", "Undre kvartil", "Median", "Övre kvartil", "Antal förbund"],
            rows=table_rows,
            note="Kvartiler och median med linjär interpolation. Förbundets värde döljs när det bygger på färre än "
            f"{suppress.threshold} personer.",
        )
    )
    return section
