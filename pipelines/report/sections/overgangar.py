"""Övergångar: from which step of the processtrappa to which, and from which income sources to which."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines.report.data import Row, by, total
from pipelines.report.format import Suppressor, text_cell
from pipelines.report.sections.shared import UTFALL, ReportData, Section, Table, TableRow

UPPGIFT_SAKNAS = "Uppgift saknas"


def _steg_namn() -> dict[int, str]:
    """Step number → name, from the processtrappa seed (the marts carry the numbers only)."""
    import csv

    from pipelines.settings import DBT_PROJECT_DIR

    with (DBT_PROJECT_DIR / "seeds" / "processtrappa.csv").open(encoding="utf-8") as fh:
        return {int(r["steg"]): r["namn"] for r in csv.DictReader(fh)}


def _kall_ordning(data: ReportData) -> dict[str, int]:
    """Income sources in forsorjning's order (its `sortering`), Uppgift saknas last."""
    order = {UPPGIFT_SAKNAS: 10**9}
    if data.reader.has("forsorjning"):
        for r in data.rows("forsorjning"):
            order.setdefault(r["forsorjningskalla"], r.get("sortering") or 0)
    return order


def _cross_table(
    suppress: Suppressor,
    rows: list[Row],
    row_key: str,
    col_key: str,
    row_labels: list,
    col_labels: list,
    name: Callable[[Any], str],
) -> list[TableRow]:
    """A before × after table of counts (sums of `antal` over kon and insatser); cells suppressed."""
    cells = by(rows, row_key, col_key)
    return [
        TableRow(
            [text_cell(name(r))] + [suppress.count(total(cells.get((r, c), []), "antal") or 0) for c in col_labels]
        )
        for r in row_labels
    ]


def overgangar(data: ReportData) -> Section:
    section = Section("overgangar", "Övergångar: steg i processtrappan och försörjning")
    section.missing = data.missing("stegforflyttning", "forsorjning_overgang")
    if section.missing:
        return section
    suppress = data.suppress
    section.paragraphs.append(
        "Varifrån och vart deltagarna gick, som SUS före- och efterbilder: från vilket steg i processtrappan "
        "till vilket, och från vilka försörjningskällor till vilka. Celler med färre än "
        f"{suppress.threshold} deltagare visas som {suppress.label}."
    )

    # step transitions: start step × end step, all four steps of the ladder
    steg = data.rows("stegforflyttning")
    if steg:
        namn = _steg_namn()
        steps = sorted(namn)
        matta = total(steg, "antal")
        upp = sum(r["antal"] for r in steg if r["steg_slut"] > r["steg_start"])
        ned = sum(r["antal"] for r in steg if r["steg_slut"] < r["steg_start"])
        table_rows = _cross_table(suppress, steg, "steg_start", "steg_slut", steps, steps, lambda k: f"{k} {namn[k]}")
        table_rows.append(
            TableRow(
                [text_cell("Summa")]
                + [suppress.count(sum(r["antal"] for r in steg if r["steg_slut"] == k)) for k in steps],
                total=True,
            )
        )
        section.paragraphs.append(
            f"Av {suppress.n(matta)} som avslutades till resultat med steg mätt vid start och vid avslut gick {suppress.n(upp)} "
            f"upp minst ett steg och {suppress.n(ned)} ned."
        )
        section.tables.append(
            Table(
                title=f"Stegförflyttning: steg vid start (rader) och vid avslut (kolumner) {data.period_label}",
                sources=["stegforflyttning"],
                header=["Steg vid start"] + [f"{k} {namn[k]}" for k in steps],
                rows=table_rows,
                note="Avslutade till resultat med steg mätt både vid start och vid avslut. Över diagonalen: steg upp.",
            )
        )
    else:
        section.paragraphs.append(
            "Inga stegmätningar vid både start och avslut bland dem som avslutades under perioden."
        )

    # income transitions: före × efter, for all avslutade and per utfall
    overgang = data.rows("forsorjning_overgang")
    if not overgang:
        section.paragraphs.append("Inga avslutade under perioden: inga försörjningsövergångar.")
        return section
    order = _kall_ordning(data)

    def key(kalla: str) -> tuple[int, str]:
        return order.get(kalla, 10**8), kalla

    groups = [("Alla avslutade", overgang)]
    per_utfall = by(overgang, "utfall")
    for code, label in [(c, lab) for _, c, lab in UTFALL] + [("tidigt_avhopp", "Tidigt avhopp")]:
        if code in per_utfall:
            groups.append((f"Avslutade med utfall {label.lower()}", per_utfall[code]))
    for title, rows in groups:
        fore = sorted({r["forsorjning_fore"] for r in rows}, key=key)
        efter = sorted({r["forsorjning_efter"] for r in rows}, key=key)
        section.tables.append(
            Table(
                title=f"Försörjning före (rader) och efter (kolumner): {title.lower()} {data.period_label}",
                sources=["forsorjning_overgang"],
                header=["Försörjning före"] + efter,
                rows=_cross_table(suppress, rows, "forsorjning_fore", "forsorjning_efter", fore, efter, str),
                note=(
                    "En deltagare med flera källor räknas i varje par av sina källor, så cellerna summerar inte till antalet "
                    "deltagare. Utan registrerad källa: Uppgift saknas."
                )
                if title == "Alla avslutade"
                else None,
            )
        )
    return section
