"""Kostnad per deltagare och återbetalningstid (enhetskostnad, samhallsekonomi)."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.report.charts import Series, bar_chart
from pipelines.report.format import NOTHING, Cell, text_cell
from pipelines.report.sections.shared import GroupTotals, ReportData, Section, Table, TableRow, aterbetalningstid


def kostnader(data: ReportData) -> Section:
    section = Section("kostnader", "Kostnad per deltagare och återbetalningstid")
    has_e, has_s = data.reader.has("enhetskostnad"), data.reader.has("samhallsekonomi")
    if not has_e and not has_s:
        section.missing = data.missing("enhetskostnad", "samhallsekonomi")
        return section
    suppress = data.suppress
    if has_e:
        e, ec = GroupTotals(data.rows("enhetskostnad")), GroupTotals(data.rows("enhetskostnad", True))

        def pair(fn: Callable[[GroupTotals], Cell]) -> list[Cell]:
            return [fn(a) if a else Cell(NOTHING, "na") for a in (e, ec)]

        lines = [
            ("Kostnad (utfall) för perioden, kr", pair(lambda a: suppress.amount(a["utfall_period"]))),
            ("Aktiva personer", pair(lambda a: suppress.count(a["aktiva_personer"]))),
            (
                "Kostnad per deltagare, kr",
                pair(
                    lambda a: suppress.rate(
                        a.ratio("kostnad_per_deltagare", "utfall_period", "aktiva_personer"),
                        a["aktiva_personer"],
                        digits=0,
                    )
                ),
            ),
            ("Nyttjade årsplatser", pair(lambda a: suppress.amount(a["arsplatser_nyttjade"], 1))),
            ("Kostnad per årsplats och år, kr", pair(lambda a: suppress.amount(_per_arsplats(a)))),
            ("I mål", pair(lambda a: suppress.count(a["i_mal"]))),
            (
                "Kostnad per deltagare i mål, kr",
                pair(
                    lambda a: suppress.rate(
                        a.ratio("kostnad_per_i_mal", "utfall_period", "i_mal"), a["i_mal"], digits=0
                    )
                ),
            ),
        ]
        note = "Kostnaden är periodens bokförda kostnad för alla kostnadsslag."
        if data.scope.is_forbund:
            note += (
                " På förbundsnivå summeras insatserna (utan förbundets administration); en person i två insatser "
                "räknas i båda."
            )
        section.tables.append(
            Table(
                title="Enhetskostnader",
                sources=["enhetskostnad"],
                header=["Mått", data.period_label, data.comparison_label],
                rows=[TableRow([text_cell(lbl)] + cells) for lbl, cells in lines],
                note=note,
            )
        )
    else:
        section.paragraphs.append(data.missing("enhetskostnad") or "")
    if has_s:
        s, sc = GroupTotals(data.rows("samhallsekonomi")), GroupTotals(data.rows("samhallsekonomi", True))

        def pair_s(fn: Callable[[GroupTotals], Cell]) -> list[Cell]:
            return [fn(a) if a else Cell(NOTHING, "na") for a in (s, sc)]

        def skattad(col: str) -> Callable[[GroupTotals], Cell]:
            return lambda a: suppress.rate(a[col], a["avslutade_till_resultat_skattade"], digits=0)

        def uppmatt(col: str) -> Callable[[GroupTotals], Cell]:
            def f(a: GroupTotals) -> Cell:
                n = a["personer_med_uppmatt_forsorjningsstod"]
                return suppress.rate(a[col] / n if n else None, n, digits=0)

            return f

        lines = [
            ("Avslutade till resultat", pair_s(lambda a: suppress.count(a["avslutade_till_resultat"]))),
            (
                "varav med försörjning registrerad före och efter",
                pair_s(lambda a: suppress.count(a["avslutade_till_resultat_skattade"])),
            ),
            ("Offentlig kostnad före, kr per månad", pair_s(skattad("kostnad_fore_per_manad"))),
            ("Offentlig kostnad efter, kr per månad", pair_s(skattad("kostnad_efter_per_manad"))),
            ("Besparing, kr per månad", pair_s(skattad("besparing_per_manad"))),
            ("Kostnad (utfall) för perioden, kr", pair_s(lambda a: suppress.amount(a["utfall_period"]))),
            ("Återbetalningstid, månader", pair_s(lambda a: aterbetalningstid(suppress, a))),
            (
                "Personer med uppmätt försörjningsstöd (Pro Capita)",
                pair_s(lambda a: suppress.count(a["personer_med_uppmatt_forsorjningsstod"])),
            ),
            (
                "Uppmätt försörjningsstöd före, kr per person och månad",
                pair_s(uppmatt("uppmatt_forsorjningsstod_fore_per_manad")),
            ),
            (
                "Uppmätt försörjningsstöd efter, kr per person och månad",
                pair_s(uppmatt("uppmatt_forsorjningsstod_efter_per_manad")),
            ),
        ]
        fore = [lines[2][1][0], lines[3][1][0]]
        chart = ""
        if any(c.value is not None for c in fore):
            chart = bar_chart(
                ["Före insatsen", "Efter insatsen"],
                [Series(data.period_label, fore), Series(data.comparison_label, [lines[2][1][1], lines[3][1][1]])],
                title="Offentlig försörjning, kr per månad",
            )
        section.paragraphs.append(
            "Återbetalningstid = periodens kostnad / besparingen per månad, där besparingen är skillnaden i "
            "skattad offentlig kostnad (parametrar per försörjningskälla) före och efter insatsen för dem som "
            "avslutats till resultat. Uppmätt försörjningsstöd är medelutbetalning per månad sex månader före start "
            "och sex månader efter avslut, där Pro Capita har uppgifter."
        )
        section.tables.append(
            Table(
                title="Samhällsekonomi och återbetalningstid",
                sources=["samhallsekonomi"],
                header=["Mått", data.period_label, data.comparison_label],
                rows=[TableRow([text_cell(lbl)] + cells) for lbl, cells in lines],
                chart=chart,
            )
        )
    else:
        section.paragraphs.append(data.missing("samhallsekonomi") or "")
    return section


def _per_arsplats(a: GroupTotals) -> float | None:
    if len(a.rows) == 1:
        return a.rows[0].get("kostnad_per_arsplats")
    dagar = a["deltagardagar"]
    return a["utfall_period"] * 365.25 / dagar if dagar else None
