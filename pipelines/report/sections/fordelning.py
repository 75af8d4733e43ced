"""The three SUS-style distribution sections (Avslutsanledningar, Tid i insats, Nyinskrivna
deltagares bakgrund): one module, as they are the same table over marts.fordelning."""

from __future__ import annotations

from pipelines.report.charts import Series, bar_chart
from pipelines.report.data import by, total
from pipelines.report.format import NOTHING, Cell, text_cell
from pipelines.report.sections.shared import GroupTotals, ReportData, Section, Table, TableRow, kon_header

POPULATION = {  # fordelning.population → (genomflode column, label of the sum row)
    "nyinskrivna": ("nyinskrivna", "Antal nyinskrivna"),
    "avslutade_till_resultat": ("avslutade_till_resultat", "Antal avslutade till resultat"),
    "avslutade": ("avslutade", "Antal avslutade"),
}


def fordelning_table(
    data: ReportData, dimension: str, title: str, first_header: str, note: str | None = None
) -> Table | str:
    """One SUS-style distribution: category | per kon | Totalt | Andel | Totalt comparison.

    fordelning is sparse (a category nobody has has no row); dim_kategori gives every category
    of the dimension, its order and the population it counts."""
    suppress = data.suppress
    kategorier = data.reader.select("dim_kategori", {"dimension": dimension}) if data.reader.has("dim_kategori") else []
    all_rows = [r for r in data.rows("fordelning") if r["dimension"] == dimension]
    comp_rows = [r for r in data.rows("fordelning", True) if r["dimension"] == dimension]
    if not kategorier and not all_rows:
        return f"Inga kategorier för {dimension} i marts.dim_kategori."
    if not data.rows("genomflode") and not all_rows:
        return f"Inga rader för {dimension} i marts.fordelning för perioden."
    population = next((r["population"] for r in kategorier + all_rows if r.get("population")), "nyinskrivna")
    pop_col, pop_label = POPULATION.get(population, ("nyinskrivna", "Antal"))
    kons = data.kons(all_rows)
    order: dict[str, int] = {}
    for r in kategorier + all_rows + comp_rows:
        order[r["kategori"]] = min(order.get(r["kategori"], 10**9), r.get("sortering") or 0)
    this, comp = by(all_rows, "kategori"), by(comp_rows, "kategori")
    den = GroupTotals(data.rows("genomflode"))[pop_col] if data.reader.has("genomflode") else total(all_rows, "antal")
    den_comp = (
        GroupTotals(data.rows("genomflode", True))[pop_col]
        if data.reader.has("genomflode")
        else total(comp_rows, "antal")
    )
    cats = [
        k
        for k in sorted(order, key=lambda k: (order[k], k))
        if (total(this.get(k, []), "antal") or 0) or (total(comp.get(k, []), "antal") or 0)
    ]
    table_rows, chart_this, chart_comp = [], [], []
    for kat in cats:
        per = by(this.get(kat, []), "kon")
        n = total(this.get(kat, []), "antal") or 0
        nc = total(comp.get(kat, []), "antal") if comp_rows else None
        cells = [text_cell(kat)] + [suppress.count(total(per.get(k, []), "antal") or 0) for k in kons]
        cells += [suppress.count(n), suppress.share(n, den), suppress.count(nc)]
        table_rows.append(TableRow(cells))
        chart_this.append(suppress.count(n))
        chart_comp.append(suppress.count(nc))
    gk = data.by_kon("genomflode") if data.reader.has("genomflode") else {}
    sum_cells = [text_cell(pop_label)] + [
        suppress.count(gk[k][pop_col]) if k in gk else Cell(NOTHING, "na") for k in kons
    ]
    sum_cells += [suppress.count(den), suppress.share(den, den), suppress.count(den_comp if comp_rows else None)]
    table_rows.append(TableRow(sum_cells, total=True))
    hidden_zero = len(order) - len(cats)
    notes = [
        n
        for n in (
            note,
            f"{hidden_zero} kategorier utan deltagare i båda perioderna visas inte." if hidden_zero else None,
        )
        if n
    ]
    chart = (
        bar_chart(cats, [Series(data.period_label, chart_this), Series(data.comparison_label, chart_comp)], title=title)
        if cats
        else ""
    )
    return Table(
        title=title,
        sources=["fordelning", "dim_kategori"] + (["genomflode"] if data.reader.has("genomflode") else []),
        header=[first_header] + kon_header(kons) + ["Andel", f"Totalt {data.comparison_label}"],
        rows=table_rows,
        chart=chart,
        note=" ".join(notes) or None,
    )


def _fordelning_section(
    data: ReportData, key: str, title: str, parts: list[tuple[str, str, str, str | None]], intro: str | None = None
) -> Section:
    section = Section(key, title)
    section.missing = data.missing("fordelning")
    if section.missing:
        return section
    if intro:
        section.paragraphs.append(intro)
    for dimension, table_title, first_header, note in parts:
        t = fordelning_table(data, dimension, table_title, first_header, note)
        if isinstance(t, str):
            section.paragraphs.append(t)
        else:
            section.tables.append(t)
    return section


def avslutsanledningar(data: ReportData) -> Section:
    return _fordelning_section(
        data,
        "avslutsanledningar",
        "Avslutsanledningar",
        [
            (
                "avslutsanledning",
                "Avslutsanledningar",
                "Avslutsanledning",
                "En deltagare har en avslutsanledning per avslutad insats (alla avslutade, även tidiga avhopp).",
            )
        ],
    )


def tid_i_insats(data: ReportData) -> Section:
    return _fordelning_section(
        data,
        "tid_i_insats",
        "Tid i insats",
        [
            (
                "tid_i_insats",
                "Tid i insats, månader (avslutade till resultat)",
                "Antal månader i insats",
                "Månader = tiden från start till avslut, avrundad uppåt till hela månader (minst 1).",
            )
        ],
    )


def bakgrund(data: ReportData) -> Section:
    return _fordelning_section(
        data,
        "bakgrund",
        "Nyinskrivna deltagares bakgrund",
        [
            ("aldersgrupp", "Åldersfördelning", "Åldersintervall", "Ålder vid start av insatsen."),
            ("utbildningsniva", "Utbildningsnivå", "Utbildningsnivå", None),
            ("tid_i_offentlig_forsorjning", "Tid i offentlig försörjning före insatsen", "Tid i försörjning", None),
            (
                "forsorjning_fore",
                "Försörjning före insatsen",
                "Försörjningskälla",
                "En deltagare kan ha flera försörjningskällor; andelarna (av antalet nyinskrivna) kan därför summera till mer än 100 %.",
            ),
            ("remittent", "Remittent", "Remittent", None),
        ],
        intro="Fördelningarna avser deltagare som skrivits in under perioden, som SUS standardrapporter.",
    )
