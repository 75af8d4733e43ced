"""The report's sections, in the order the teams' own reports use (000_… Avesta 2018, 004_…
Västerås H1 2022): summary, participant flow, the monthly registration table, results against
the goal, end reasons, income before and after, time in insats, background of the new
participants, economics, unit costs and payback, Pro Capita activities, data notes.

Each builder selects mart rows for the period and for the comparison period (the same period
one year earlier), shapes them (sums over kon and over the förbund's insatser, pivots), and
returns tables of already formatted and suppressed cells, each with its chart. A section whose
mart is missing from bi.duckdb is kept as a heading with a short note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pipelines.report.charts import COLOURS, Series, bar_chart
from pipelines.report.data import (
    FORBUND_ADMIN,
    MartReader,
    Period,
    Row,
    Scope,
    by,
    kon_list,
    ratio,
    total,
)
from pipelines.report.format import NOTHING, Cell, Suppressor, fmt_number, text_cell

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
KON_LABEL = {"Kvinna": "Kvinnor", "Man": "Män", "Okänt": "Kön okänt"}
UTFALL = [  # (resultat column, utfall code, label)
    ("till_arbete", "arbete", "Arbete"),
    ("till_studier", "studier", "Studier"),
    ("till_arbetslivsinriktad_rehab", "arbetslivsinriktad_rehab", "Arbetslivsinriktad rehabilitering"),
    ("till_aktivt_arbetssokande", "aktivt_arbetssokande", "Aktivt arbetssökande"),
    ("till_sjukdom", "sjukdom", "Sjukdom"),
    ("till_ovrigt", "ovrigt", "Övrigt"),
]
UTFALL_LABEL = {code: label for _, code, label in UTFALL}
PERIOD_TYP = {  # period_typ: (report title, the period in running text)
    "manad": ("Månadsrapport", "månaden"),
    "kvartal": ("Kvartalsrapport", "kvartalet"),
    "halvar": ("Halvårsrapport", "halvåret"),
    "ar": ("Årsrapport", "året"),
    "rullande_12": ("Rapport rullande tolv månader", "tolvmånadersperioden"),
}
AKTIVITET_REFERENS = 0.9  # Malmö's target for fullföljandegrad (docs/metrics/activity.md)


# --------------------------------------------------------------------------------------------
# What the template renders
# --------------------------------------------------------------------------------------------


@dataclass
class TRow:
    cells: list[Cell]
    total: bool = False
    comparison: bool = False


@dataclass
class Table:
    title: str
    sources: list[str]
    header: list[str]
    rows: list[TRow]
    note: str | None = None
    chart: str = ""
    number: int = 0

    @property
    def wide(self) -> bool:
        """Many columns: the table takes the full width and its chart goes below it."""
        return len(self.header) > 8

    @property
    def header_css(self) -> list[str]:
        """A column's header aligns as its cells do (text left, numbers right)."""
        first = self.rows[0].cells if self.rows else []
        return [
            "txt" if i == 0 or (i < len(first) and first[i].kind == "txt") else "num" for i in range(len(self.header))
        ]

    @property
    def source_text(self) -> str:
        return "Källa: " + ", ".join(f"marts.{s}" for s in self.sources)


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing: str | None = None  # the section is omitted: why


# --------------------------------------------------------------------------------------------
# Context: the scope, the two periods and cached mart rows
# --------------------------------------------------------------------------------------------


class Agg:
    """Rows of one group (e.g. one kon over the förbund's insatser) and their sums."""

    def __init__(self, rows: list[Row]):
        self.rows = rows

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __getitem__(self, column: str) -> Any:
        return total(self.rows, column)

    def ratio(self, rate_column: str | None, num: str, den: str) -> float | None:
        return ratio(self.rows, rate_column, num, den)


@dataclass
class Ctx:
    reader: MartReader
    scope: Scope
    period: Period
    comp: Period | None
    comp_id: str
    S: Suppressor
    _cache: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.period.period_id

    @property
    def comp_label(self) -> str:
        return self.comp_id

    def rows(self, mart: str, comparison: bool = False, extra_insats: tuple[str, ...] = ()) -> list[Row]:
        key = (mart, comparison, extra_insats)
        if key not in self._cache:
            period = self.comp if comparison else self.period
            self._cache[key] = self.reader.facts(mart, self.scope, period, extra_insats)
        return self._cache[key]

    def by_kon(self, mart: str, comparison: bool = False, rows: list[Row] | None = None) -> dict[str, Agg]:
        """Rows summed per kon over the scope's insatser, plus 'Totalt'."""
        rows = self.rows(mart, comparison) if rows is None else rows
        out = {k: Agg(v) for k, v in by(rows, "kon").items()}
        out["Totalt"] = Agg(rows)
        return out

    def kons(self, *row_lists: list[Row]) -> list[str]:
        return kon_list([r for rows in row_lists for r in rows])

    def missing(self, *marts: str, columns: dict[str, list[str]] | None = None) -> str | None:
        absent = [m for m in marts if not self.reader.has(m)]
        if absent:
            names = ", ".join(f"marts.{m}" for m in absent)
            return f"Avsnittet utelämnas: {names} finns inte i bi.duckdb (ännu inte byggd)."
        for mart, cols in (columns or {}).items():
            lacking = self.reader.missing_columns(mart, cols)
            if lacking:
                return f"Avsnittet utelämnas: marts.{mart} saknar kolumnerna {', '.join(lacking)}."
        return None

    @cached_property
    def malutfall(self) -> list[str]:
        codes: list[str] = []
        for insats in self.scope.insats:
            for code in insats.get("malutfall") or []:
                if code not in codes:
                    codes.append(code)
        return codes


def _kon_header(kons: list[str]) -> list[str]:
    return [KON_LABEL.get(k, k) for k in kons] + ["Totalt"]


# --------------------------------------------------------------------------------------------
# 1. Sammanfattning
# --------------------------------------------------------------------------------------------


def _belaggningsgrad(ctx: Ctx, agg: Agg) -> float | None:
    if not agg:
        return None
    if ctx.scope.is_forbund:
        platser = [i.get("arsplatser") for i in ctx.scope.insats]
        if any(p is None for p in platser) or not sum(platser):
            return None
        return agg["arsplatser_nyttjade"] / sum(platser)
    values = [r.get("belaggningsgrad") for r in agg.rows]
    return None if all(v is None for v in values) else sum(v or 0 for v in values)


def sammanfattning(ctx: Ctx) -> Section:
    sec = Section("sammanfattning", "Sammanfattning")
    S = ctx.S
    if ctx.missing("genomflode", "resultat"):
        sec.missing = ctx.missing("genomflode", "resultat")
        return sec
    g, gc = ctx.by_kon("genomflode")["Totalt"], ctx.by_kon("genomflode", True)["Totalt"]
    r, rc = ctx.by_kon("resultat")["Totalt"], ctx.by_kon("resultat", True)["Totalt"]
    gk = ctx.by_kon("genomflode")
    p = ctx.period

    # the text the teams write by hand (Avesta 2018, "Sammanfattning")
    if g:
        kvinnor, man = gk.get("Kvinna"), gk.get("Man")
        delar = []
        if kvinnor is not None and man is not None:
            delar = [f"{S.n(kvinnor['nyinskrivna'])} kvinnor och {S.n(man['nyinskrivna'])} män"]
        slut = p.period_slut if p.is_complete or not p.period_slut_as_of else p.period_slut_as_of
        vid_slut = "Vid periodens slut" if p.is_complete else f"Den {slut.isoformat()}"
        text = (
            f"Under perioden {p.period_start.isoformat()} – {slut.isoformat()} har "
            f"{S.n(g['nyinskrivna'])} personer skrivits in i verksamheten"
            + (f" ({delar[0]})" if delar else "")
            + f". {vid_slut} var {S.n(g['inskrivna_vid_periodslut'])} personer inskrivna. "
            f"{S.n(g['avslutade'])} personer har avslutats under perioden, varav {S.n(g['tidiga_avhopp'])} "
            f"tidiga avhopp (inom prövotiden)."
        )
        sec.paragraphs.append(text)
        if r and r["avslutade_till_resultat"]:
            andel = S.share(r["i_mal"], r["avslutade_till_resultat"])
            mal = ", ".join(UTFALL_LABEL.get(c, c).lower() for c in ctx.malutfall) or "insatsens mål"
            text = (
                f"Av de {S.n(r['avslutade_till_resultat'])} som avslutades till resultat gick "
                f"{S.n(r['i_mal'])} i mål ({mal})"
                + (f", det vill säga {andel.text}" if andel.kind == "num" else "")
                + "."
            )
            gt = S.rate(r.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), r["i_mal"])
            if gt.kind == "num":
                text += f" Genomströmningstiden för dem som gick i mål var {gt.text} månader."
            sec.paragraphs.append(text)
    else:
        sec.paragraphs.append("Insatsen har inga rader i marts.genomflode för perioden.")

    rows: list[tuple[str, Cell, Cell, str]] = []

    def add(label: str, this: Cell, comp: Cell, mart: str) -> None:
        rows.append((label, this, comp, mart))

    def both(fn: Callable[[Agg], Cell], a: Agg, b: Agg) -> tuple[Cell, Cell]:
        return (fn(a) if a else Cell(NOTHING, "na")), (fn(b) if b else Cell(NOTHING, "na"))

    for label, col in (
        ("Inskrivna vid periodstart", "inskrivna_vid_periodstart"),
        ("Nyinskrivna", "nyinskrivna"),
        ("Avslutade", "avslutade"),
        ("varav tidiga avhopp", "tidiga_avhopp"),
        ("Avslutade till resultat", "avslutade_till_resultat"),
        ("Inskrivna vid periodslut", "inskrivna_vid_periodslut"),
    ):
        add(label, *both(lambda a, c=col: S.count(a[c]), g, gc), "genomflode")
    add("Beläggningsgrad", *both(lambda a: S.rate(_belaggningsgrad(ctx, a), pct=True), g, gc), "genomflode")
    add("I mål", *both(lambda a: S.count(a["i_mal"]), r, rc), "resultat")
    add("Andel i mål", *both(lambda a: S.share(a["i_mal"], a["avslutade_till_resultat"]), r, rc), "resultat")
    add(
        "Genomströmningstid, månader",
        *both(lambda a: S.rate(a.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), a["i_mal"]), r, rc),
        "resultat",
    )
    add("Andel stegförflyttning uppåt", *both(lambda a: S.share(a["steg_upp"], a["steg_matta"]), r, rc), "resultat")
    sources = ["genomflode", "resultat"]
    if ctx.reader.has("enhetskostnad"):
        e, ec = Agg(ctx.rows("enhetskostnad")), Agg(ctx.rows("enhetskostnad", True))
        add("Kostnad (utfall) för perioden, kr", *both(lambda a: S.amount(a["utfall_period"]), e, ec), "enhetskostnad")
        add(
            "Kostnad per deltagare, kr",
            *both(
                lambda a: S.rate(
                    a.ratio("kostnad_per_deltagare", "utfall_period", "aktiva_personer"), a["aktiva_personer"], digits=0
                ),
                e,
                ec,
            ),
            "enhetskostnad",
        )
        sources.append("enhetskostnad")
    if ctx.reader.has("samhallsekonomi"):
        s, sc = Agg(ctx.rows("samhallsekonomi")), Agg(ctx.rows("samhallsekonomi", True))
        add("Återbetalningstid, månader", *both(lambda a: _aterbetalningstid(S, a), s, sc), "samhallsekonomi")
        sources.append("samhallsekonomi")

    sec.tables.append(
        Table(
            title=f"Nyckeltal {ctx.label} jämfört med {ctx.comp_label}",
            sources=sources,
            header=["Mått", ctx.label, ctx.comp_label, "Källa"],
            rows=[TRow([text_cell(lbl), a, b, text_cell(f"marts.{m}")]) for lbl, a, b, m in rows],
            note=_comp_note(ctx),
        )
    )
    return sec


def _comp_note(ctx: Ctx) -> str | None:
    if ctx.comp is None:
        return f"Jämförelseperioden {ctx.comp_label} finns inte i data (före första registreringen)."
    if not ctx.period.is_complete:
        return (
            f"Perioden {ctx.label} är inte avslutad (data till och med {ctx.period.period_slut_as_of}); "
            f"jämförelseperioden {ctx.comp_label} är hel."
        )
    return None


def _aterbetalningstid(S: Suppressor, a: Agg) -> Cell:
    if not a:
        return Cell(NOTHING, "na")
    besparing = a["besparing_per_manad"]
    if len(a.rows) == 1:
        value = a.rows[0].get("aterbetalningstid_man")
    else:
        value = a["utfall_period"] / besparing if besparing and besparing > 0 else None
    return S.rate(value, a["avslutade_till_resultat_skattade"], digits=1)


# --------------------------------------------------------------------------------------------
# 2. Deltagarflöde
# --------------------------------------------------------------------------------------------

FLODE = [
    ("inskrivna_vid_periodstart", "Inskrivna vid periodstart"),
    ("nyinskrivna", "Nyinskrivna"),
    ("avslutade", "Avslutade"),
    ("tidiga_avhopp", "varav tidiga avhopp"),
    ("avslutade_till_resultat", "varav till resultat"),
    ("inskrivna_vid_periodslut", "Inskrivna vid periodslut"),
    ("aktiva", "Aktiva under perioden"),
]


def deltagarflode(ctx: Ctx) -> Section:
    sec = Section("deltagarflode", "Deltagarflöde")
    sec.missing = ctx.missing("genomflode")
    if sec.missing:
        return sec
    S = ctx.S
    rows = ctx.rows("genomflode")
    kons = ctx.kons(rows)
    this, comp = ctx.by_kon("genomflode"), ctx.by_kon("genomflode", True)
    table_rows = []
    for k in kons + ["Totalt"]:
        a = this.get(k, Agg([]))
        table_rows.append(
            TRow([text_cell(KON_LABEL.get(k, k))] + [S.count(a[c]) for c, _ in FLODE], total=k == "Totalt")
        )
    c = comp["Totalt"]
    table_rows.append(
        TRow([text_cell(f"Totalt {ctx.comp_label}")] + [S.count(c[col]) for col, _ in FLODE], comparison=True)
    )
    chart_cols = ["inskrivna_vid_periodstart", "nyinskrivna", "avslutade", "inskrivna_vid_periodslut"]
    labels = dict(FLODE)
    chart = bar_chart(
        [labels[c] for c in chart_cols],
        [
            Series(ctx.label, [S.count(this["Totalt"][c]) for c in chart_cols]),
            Series(ctx.comp_label, [S.count(comp["Totalt"][c]) for c in chart_cols]),
        ],
        title="Deltagarflöde",
    )
    sec.paragraphs.append(
        "Inskrivna vid periodstart + nyinskrivna − avslutade = inskrivna vid periodslut. Tidiga avhopp är "
        "avslutade inom insatsens prövotid; övriga avslutade räknas till resultat."
    )
    sec.tables.append(
        Table(
            title="Deltagarflöde per kön",
            sources=["genomflode"],
            header=["Kön"] + [lbl for _, lbl in FLODE],
            rows=table_rows,
            chart=chart,
            note=_comp_note(ctx),
        )
    )

    # time and capacity
    t, tc = this["Totalt"], comp["Totalt"]

    def pair(fn: Callable[[Agg], Cell]) -> list[Cell]:
        return [fn(t) if t else Cell(NOTHING, "na"), fn(tc) if tc else Cell(NOTHING, "na")]

    kap_rows = [
        (
            "Snittid nyinskrivna, dagar",
            pair(lambda a: S.rate(a.ratio(None, "summa_dagar_nyinskrivna", "nyinskrivna"), a["nyinskrivna"], digits=0)),
        ),
        (
            "Snittid avslutade, dagar",
            pair(lambda a: S.rate(a.ratio(None, "summa_dagar_avslutade", "avslutade"), a["avslutade"], digits=0)),
        ),
        ("Deltagardagar", pair(lambda a: S.amount(a["deltagardagar"]))),
        ("Nyttjade årsplatser", pair(lambda a: S.amount(a["arsplatser_nyttjade"], 1))),
    ]
    platser = [i.get("arsplatser") for i in ctx.scope.insats]
    platser_text = fmt_number(sum(platser), 1) if platser and all(p is not None for p in platser) else NOTHING
    kap_rows.append(("Årsplatser (insatsregistret)", [Cell(platser_text), Cell(platser_text)]))
    kap_rows.append(("Beläggningsgrad", pair(lambda a: S.rate(_belaggningsgrad(ctx, a), pct=True))))
    if ctx.period.period_typ == "ar" or (ctx.comp and ctx.comp.period_typ == "ar"):
        kap_rows.append(("Anonyma deltagare (ingår inte ovan)", pair(lambda a: S.count(a["anonyma"]))))
    sec.tables.append(
        Table(
            title="Tid i insats och kapacitet",
            sources=["genomflode", "dim_insats"],
            header=["Mått", ctx.label, ctx.comp_label],
            rows=[TRow([text_cell(lbl)] + cells) for lbl, cells in kap_rows],
            note="Snittid nyinskrivna räknas till periodens slut för dem som fortfarande är inskrivna (SUS Deltagarrapport).",
        )
    )
    return sec


# --------------------------------------------------------------------------------------------
# 3. Deltagarrapport månad
# --------------------------------------------------------------------------------------------


def deltagarrapport_manad(ctx: Ctx) -> Section:
    sec = Section("manad", "Deltagarrapport per månad")
    sec.missing = ctx.missing("genomflode", "dim_period")
    if sec.missing:
        return sec
    S = ctx.S
    months = ctx.reader.months_of(ctx.period)
    rows = ctx.reader.select(
        "genomflode",
        {
            "forbund": ctx.scope.forbund,
            "insats_id": ctx.scope.insats_ids,
            "period_typ": "manad",
            "period_id": [m.period_id for m in months],
        },
    )
    per_month = by(rows, "period_id")
    kons = ctx.kons(rows, ctx.rows("genomflode"))
    header = (
        ["Månad"]
        + [f"Nyinskrivna {KON_LABEL.get(k, k).lower()}" for k in kons]
        + ["Nyinskrivna totalt", "varav pågående vid månadens slut"]
        + [f"Avslutade {KON_LABEL.get(k, k).lower()}" for k in kons]
        + ["Avslutade totalt", "Snittid avslutade, dagar", "Inskrivna vid månadens slut"]
    )
    crosses_year = ctx.period.period_start.year != ctx.period.period_slut.year
    table_rows, cats, nya, avsl = [], [], [], []

    def line(label: str, aggs: dict[str, Agg], t: Agg, total_row: bool) -> TRow:
        return TRow(
            [text_cell(label)]
            + [S.count(aggs.get(k, Agg([]))["nyinskrivna"]) for k in kons]
            + [S.count(t["nyinskrivna"]), S.count(t["nyinskrivna_pagaende_vid_periodslut"])]
            + [S.count(aggs.get(k, Agg([]))["avslutade"]) for k in kons]
            + [
                S.count(t["avslutade"]),
                S.rate(t.ratio(None, "summa_dagar_avslutade", "avslutade"), t["avslutade"], digits=0),
                S.count(t["inskrivna_vid_periodslut"]),
            ],
            total=total_row,
        )

    for m in months:
        month_rows = per_month.get(m.period_id, [])
        if not month_rows:
            continue
        aggs = {k: Agg(v) for k, v in by(month_rows, "kon").items()}
        t = Agg(month_rows)
        name = MANADER[m.period_start.month - 1]
        table_rows.append(line(f"{name} {m.period_start.year}", aggs, t, False))
        cats.append(name[:3] + (f" {m.period_start.year % 100:02d}" if crosses_year else ""))
        nya.append(S.count(t["nyinskrivna"]))
        avsl.append(S.count(t["avslutade"]))
    if not table_rows:
        sec.paragraphs.append("Insatsen har inga månadsrader i marts.genomflode för perioden.")
        return sec
    period_aggs = ctx.by_kon("genomflode")
    summa = line("Summa perioden", period_aggs, period_aggs["Totalt"], True)
    summa.cells[len(kons) + 2] = S.count(period_aggs["Totalt"]["nyinskrivna_pagaende_vid_periodslut"])
    table_rows.append(summa)
    sec.paragraphs.append(
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
    sec.tables.append(
        Table(
            title="Deltagarrapport per månad",
            sources=["genomflode", "dim_period"],
            header=header,
            rows=table_rows,
            chart=chart,
        )
    )
    return sec


# --------------------------------------------------------------------------------------------
# 4. Resultat: utfall, i mål, genomströmningstid, stegförflyttning
# --------------------------------------------------------------------------------------------


def resultat(ctx: Ctx) -> Section:
    sec = Section("resultat", "Resultat")
    sec.missing = ctx.missing("resultat")
    if sec.missing:
        return sec
    S = ctx.S
    rows = ctx.rows("resultat")
    kons = ctx.kons(rows)
    this, comp = ctx.by_kon("resultat"), ctx.by_kon("resultat", True)
    t, c = this["Totalt"], comp["Totalt"]
    malutfall = ctx.malutfall
    mal_text = ", ".join(UTFALL_LABEL.get(code, code).lower() for code in malutfall)
    sec.paragraphs.append(
        f"Resultatet mäts över deltagare som avslutats efter prövotiden (avslutade till resultat). "
        f"Insatsens mål (marts.dim_insats, malutfall): {mal_text or 'inte registrerat'}. "
        "En deltagare är i mål när utfallet vid avslut ingår i målet."
    )

    def kon_cells(col: str) -> list[Cell]:
        return [S.count(this.get(k, Agg([]))[col]) for k in kons] + [S.count(t[col])]

    table_rows = []
    for col, code, label in UTFALL:
        table_rows.append(
            TRow(
                [text_cell(label)]
                + kon_cells(col)
                + [
                    S.share(t[col], t["avslutade_till_resultat"]),
                    text_cell("ja" if code in malutfall else ""),
                    S.count(c[col]),
                ]
            )
        )
    table_rows.append(
        TRow(
            [text_cell("Summa avslutade till resultat")]
            + kon_cells("avslutade_till_resultat")
            + [
                S.share(t["avslutade_till_resultat"], t["avslutade_till_resultat"]),
                text_cell(""),
                S.count(c["avslutade_till_resultat"]),
            ],
            total=True,
        )
    )
    table_rows.append(
        TRow(
            [text_cell("I mål")]
            + kon_cells("i_mal")
            + [S.share(t["i_mal"], t["avslutade_till_resultat"]), text_cell(""), S.count(c["i_mal"])],
            total=True,
        )
    )
    # "Andel i mål" per kon and in total; the Andel and goal columns stay empty on this row
    andel_row = [text_cell("Andel i mål")]
    andel_row += [S.share(this.get(k, Agg([]))["i_mal"], this.get(k, Agg([]))["avslutade_till_resultat"]) for k in kons]
    andel_row += [
        S.share(t["i_mal"], t["avslutade_till_resultat"]),
        Cell(NOTHING, "na"),
        text_cell(""),
        S.share(c["i_mal"], c["avslutade_till_resultat"]),
    ]
    table_rows.append(TRow(andel_row, total=True))
    chart = bar_chart(
        [label for _, _, label in UTFALL],
        [
            Series(ctx.label, [S.count(t[col]) for col, _, _ in UTFALL]),
            Series(ctx.comp_label, [S.count(c[col]) for col, _, _ in UTFALL]),
        ],
        title="Utfall vid avslut",
    )
    sec.tables.append(
        Table(
            title="Utfall för avslutade till resultat",
            sources=["resultat", "dim_insats"],
            header=["Utfall"] + _kon_header(kons) + ["Andel", "Ingår i mål", f"Totalt {ctx.comp_label}"],
            rows=table_rows,
            chart=chart,
            note=_comp_note(ctx),
        )
    )

    # genomströmningstid by sex
    gt_rows = []
    for k in kons + ["Totalt"]:
        a, b = this.get(k, Agg([])), comp.get(k, Agg([]))
        gt_rows.append(
            TRow(
                [
                    text_cell(KON_LABEL.get(k, k)),
                    S.count(a["i_mal"]),
                    S.rate(a.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), a["i_mal"]),
                    S.count(b["i_mal"]),
                    S.rate(b.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), b["i_mal"]),
                ],
                total=k == "Totalt",
            )
        )
    gt_chart = bar_chart(
        [KON_LABEL.get(k, k) for k in kons + ["Totalt"]],
        [Series(ctx.label, [r.cells[2] for r in gt_rows]), Series(ctx.comp_label, [r.cells[4] for r in gt_rows])],
        title="Genomströmningstid, månader",
    )
    sec.tables.append(
        Table(
            title="Genomströmningstid för dem som gick i mål, per kön",
            sources=["resultat"],
            header=[
                "Kön",
                f"I mål {ctx.label}",
                f"Månader {ctx.label}",
                f"I mål {ctx.comp_label}",
                f"Månader {ctx.comp_label}",
            ],
            rows=gt_rows,
            chart=gt_chart,
            note="Genomströmningstid = medeltid i insatsen i månader (30,4375 dagar) för dem som avslutades i mål.",
        )
    )

    # stegförflyttning
    steg_rows = []
    for k in kons + ["Totalt"]:
        a = this.get(k, Agg([]))
        matta, upp, ned = a["steg_matta"], a["steg_upp"], a["steg_ned"]
        same = None if matta is None else matta - (upp or 0) - (ned or 0)
        same_cell = Cell("..", "hidden") if S.any_small(upp, ned) and same else S.count(same)
        steg_rows.append(
            TRow(
                [
                    text_cell(KON_LABEL.get(k, k)),
                    S.count(matta),
                    S.count(upp),
                    same_cell,
                    S.count(ned),
                    S.share(upp, matta),
                    S.share(comp.get(k, Agg([]))["steg_upp"], comp.get(k, Agg([]))["steg_matta"]),
                ],
                total=k == "Totalt",
            )
        )
    tot = steg_rows[-1].cells

    def steg_cells(a: Agg) -> list[Cell]:
        if not a:
            return [Cell(NOTHING, "na")] * 3
        matta, upp, ned = a["steg_matta"], a["steg_upp"], a["steg_ned"]
        same = matta - upp - ned
        return [S.count(upp), Cell("..", "hidden") if S.any_small(upp, ned) and same else S.count(same), S.count(ned)]

    steg_chart = bar_chart(
        ["Steg upp", "Oförändrat", "Steg ned"],
        [Series(ctx.label, [tot[2], tot[3], tot[4]]), Series(ctx.comp_label, steg_cells(c))],
        title="Stegförflyttning i processtrappan",
    )
    sec.tables.append(
        Table(
            title="Stegförflyttning i processtrappan",
            sources=["resultat"],
            header=[
                "Kön",
                "Mätta vid start och avslut",
                "Steg upp",
                "Oförändrat",
                "Steg ned",
                f"Andel steg upp {ctx.label}",
                f"Andel steg upp {ctx.comp_label}",
            ],
            rows=steg_rows,
            chart=steg_chart,
            note="Över avslutade till resultat med steg mätt både vid start och vid avslut.",
        )
    )
    return sec


# --------------------------------------------------------------------------------------------
# 5–10. Distributions (fordelning) and income before / after (forsorjning)
# --------------------------------------------------------------------------------------------

POPULATION = {  # fordelning.population → (genomflode column, label of the sum row)
    "nyinskrivna": ("nyinskrivna", "Antal nyinskrivna"),
    "avslutade_till_resultat": ("avslutade_till_resultat", "Antal avslutade till resultat"),
    "avslutade": ("avslutade", "Antal avslutade"),
}


def fordelning_table(ctx: Ctx, dimension: str, title: str, first_header: str, note: str | None = None) -> Table | str:
    """One SUS-style distribution: category | per kon | Totalt | Andel | Totalt comparison.

    fordelning is sparse (a category nobody has has no row); dim_kategori gives every category
    of the dimension, its order and the population it counts."""
    S = ctx.S
    kategorier = ctx.reader.select("dim_kategori", {"dimension": dimension}) if ctx.reader.has("dim_kategori") else []
    all_rows = [r for r in ctx.rows("fordelning") if r["dimension"] == dimension]
    comp_rows = [r for r in ctx.rows("fordelning", True) if r["dimension"] == dimension]
    if not kategorier and not all_rows:
        return f"Inga kategorier för {dimension} i marts.dim_kategori."
    if not ctx.rows("genomflode") and not all_rows:
        return f"Inga rader för {dimension} i marts.fordelning för perioden."
    population = next((r["population"] for r in kategorier + all_rows if r.get("population")), "nyinskrivna")
    pop_col, pop_label = POPULATION.get(population, ("nyinskrivna", "Antal"))
    kons = ctx.kons(all_rows)
    order: dict[str, int] = {}
    for r in kategorier + all_rows + comp_rows:
        order[r["kategori"]] = min(order.get(r["kategori"], 10**9), r.get("sortering") or 0)
    this, comp = by(all_rows, "kategori"), by(comp_rows, "kategori")
    den = Agg(ctx.rows("genomflode"))[pop_col] if ctx.reader.has("genomflode") else total(all_rows, "antal")
    den_comp = Agg(ctx.rows("genomflode", True))[pop_col] if ctx.reader.has("genomflode") else total(comp_rows, "antal")
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
        cells = [text_cell(kat)] + [S.count(total(per.get(k, []), "antal") or 0) for k in kons]
        cells += [S.count(n), S.share(n, den), S.count(nc)]
        table_rows.append(TRow(cells))
        chart_this.append(S.count(n))
        chart_comp.append(S.count(nc))
    gk = ctx.by_kon("genomflode") if ctx.reader.has("genomflode") else {}
    sum_cells = [text_cell(pop_label)] + [S.count(gk[k][pop_col]) if k in gk else Cell(NOTHING, "na") for k in kons]
    sum_cells += [S.count(den), S.share(den, den), S.count(den_comp if comp_rows else None)]
    table_rows.append(TRow(sum_cells, total=True))
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
        bar_chart(cats, [Series(ctx.label, chart_this), Series(ctx.comp_label, chart_comp)], title=title)
        if cats
        else ""
    )
    return Table(
        title=title,
        sources=["fordelning", "dim_kategori"] + (["genomflode"] if ctx.reader.has("genomflode") else []),
        header=[first_header] + _kon_header(kons) + ["Andel", f"Totalt {ctx.comp_label}"],
        rows=table_rows,
        chart=chart,
        note=" ".join(notes) or None,
    )


def _fordelning_section(
    ctx: Ctx, key: str, title: str, parts: list[tuple[str, str, str, str | None]], intro: str | None = None
) -> Section:
    sec = Section(key, title)
    sec.missing = ctx.missing("fordelning")
    if sec.missing:
        return sec
    if intro:
        sec.paragraphs.append(intro)
    for dimension, table_title, first_header, note in parts:
        t = fordelning_table(ctx, dimension, table_title, first_header, note)
        if isinstance(t, str):
            sec.paragraphs.append(t)
        else:
            sec.tables.append(t)
    return sec


def avslutsanledningar(ctx: Ctx) -> Section:
    return _fordelning_section(
        ctx,
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


def tid_i_insats(ctx: Ctx) -> Section:
    return _fordelning_section(
        ctx,
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


def bakgrund(ctx: Ctx) -> Section:
    return _fordelning_section(
        ctx,
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


def forsorjning(ctx: Ctx) -> Section:
    sec = Section("forsorjning", "Försörjning före och efter insatsen")
    sec.missing = ctx.missing("forsorjning")
    if sec.missing:
        return sec
    S = ctx.S
    rows = ctx.rows("forsorjning")
    if not rows:
        sec.paragraphs.append("Inga rader i marts.forsorjning för perioden.")
        return sec
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
        pct_cell = S.rate(pct, fore, efter, digits=0) if pct is not None else Cell(NOTHING, "na")
        if pct_cell.kind == "num":
            pct_cell = Cell(fmt_number(pct, 0), "num", pct)
        table_rows.append(
            TRow(
                [
                    text_cell(k),
                    S.count(fore),
                    S.share(fore, sum_fore),
                    S.count(efter),
                    S.share(efter, sum_efter),
                    S.diff(fore, efter),
                    pct_cell,
                ]
            )
        )
        c_fore.append(S.count(fore))
        c_efter.append(S.count(efter))
    table_rows.append(
        TRow(
            [
                text_cell("Summa försörjningskällor"),
                S.count(sum_fore),
                S.share(sum_fore, sum_fore),
                S.count(sum_efter),
                S.share(sum_efter, sum_efter),
                S.diff(sum_fore, sum_efter),
                Cell(NOTHING, "na"),
            ],
            total=True,
        )
    )
    avslutade = Agg(ctx.rows("genomflode"))["avslutade"] if ctx.reader.has("genomflode") else None
    sec.paragraphs.append(
        f"Deltagarnas försörjning vid start och vid avslut, för alla som avslutats under perioden "
        f"({S.n(avslutade)} deltagare), som SUS Försörjningsförändringar. En deltagare kan ha flera "
        "försörjningskällor samtidigt, så summan av källor är vanligtvis högre än antalet deltagare; andelarna är "
        "andelar av summan av källor. Utan registrerad källa efter räknas deltagaren under Uppgift saknas."
    )
    chart = bar_chart(
        kallor,
        [Series("Före insatsen", c_fore), Series("Efter insatsen", c_efter)],
        title="Försörjningskällor före och efter",
        colours=[COLOURS[0], COLOURS[2]],
    )
    sec.tables.append(
        Table(
            title=f"Försörjningsförändringar {ctx.label}",
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
    return sec


# --------------------------------------------------------------------------------------------
# 11. Ekonomi
# --------------------------------------------------------------------------------------------

EKONOMI_COLS = [
    "budget",
    "periodiserad_budget",
    "utfall_period",
    "ackumulerat",
    "aterstar",
    "avvikelse_mot_periodiserad",
]


def ekonomi(ctx: Ctx) -> Section:
    sec = Section("ekonomi", "Ekonomi")
    sec.missing = ctx.missing("ekonomi", columns={"ekonomi": ["kostnadsslag"] + EKONOMI_COLS})
    if sec.missing:
        return sec
    S = ctx.S
    extra = (FORBUND_ADMIN,) if ctx.scope.is_forbund else ()
    rows, comp_rows = ctx.rows("ekonomi", extra_insats=extra), ctx.rows("ekonomi", True, extra_insats=extra)
    if not rows:
        if ctx.period.period_typ == "rullande_12":
            sec.paragraphs.append(
                "Ekonomin redovisas per budgetår; en rullande tolvmånadersperiod spänner över två budgetår och har "
                "ingen budget (marts.ekonomi har inga rader för den). Periodens kostnad finns under Kostnad per deltagare."
            )
        else:
            sec.paragraphs.append("Ingen budget och ingen bokförd kostnad för perioden i marts.ekonomi.")
        return sec
    sort = {r["kostnadsslag"]: r.get("kostnadsslag_sortering") or 0 for r in rows}
    per, per_comp = by(rows, "kostnadsslag"), by(comp_rows, "kostnadsslag")
    slag = sorted(per, key=lambda k: (sort.get(k, 0), k))

    def line(label: str, a: Agg, ac: Agg, total_row: bool) -> TRow:
        grad = a.ratio("forbrukningsgrad", "ackumulerat", "budget")
        return TRow(
            [text_cell(label)]
            + [S.amount(a[c]) for c in ("budget", "periodiserad_budget", "utfall_period", "ackumulerat", "aterstar")]
            + [
                S.rate(grad, pct=True),
                S.amount(a["avvikelse_mot_periodiserad"]),
                S.amount(ac["utfall_period"]) if ac else Cell(NOTHING, "na"),
            ],
            total=total_row,
        )

    table_rows = [line(k, Agg(per[k]), Agg(per_comp.get(k, [])), False) for k in slag]
    table_rows.append(line("Summa", Agg(rows), Agg(comp_rows), True))
    year = rows[0].get("ar") or ctx.period.period_start.year
    sec.paragraphs.append(
        f"Budget = förbundets beslutade budget för hela år {year}. Periodiserad budget = budgeten × månader från "
        "januari till periodens slut / 12. Ackumulerat = bokförd kostnad från 1 januari till periodens slut; "
        "återstår = budget − ackumulerat; avvikelse = ackumulerat − periodiserad budget (positiv = snabbare "
        "förbrukning än budgeten). Belopp i kronor."
        + (" På förbundsnivå ingår förbundets egen administration." if ctx.scope.is_forbund else "")
    )
    chart = bar_chart(
        slag,
        [
            Series("Budget helår", [S.amount(total(per[k], "budget")) for k in slag]),
            Series("Periodiserad budget", [S.amount(total(per[k], "periodiserad_budget")) for k in slag]),
            Series("Ackumulerat", [S.amount(total(per[k], "ackumulerat")) for k in slag]),
        ],
        title="Budget och ackumulerat utfall, kr",
        colours=[COLOURS[1], COLOURS[3], COLOURS[0]],
    )
    sec.tables.append(
        Table(
            title=f"Budget och utfall per kostnadsslag, {ctx.label}",
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
                f"Utfall {ctx.comp_label}",
            ],
            rows=table_rows,
            chart=chart,
        )
    )
    if ctx.scope.is_forbund:
        names = {i["insats_id"]: i.get("insatsnamn") or i["insats_id"] for i in ctx.scope.insats}
        names[FORBUND_ADMIN] = "Förbundets administration"
        per_insats = by(rows, "insats_id")
        order = [i for i in ctx.scope.insats_ids if i in per_insats] + [
            i for i in per_insats if i not in ctx.scope.insats_ids
        ]
        ins_rows = []
        for i in order:
            a = Agg(per_insats[i])
            ins_rows.append(
                TRow(
                    [text_cell(names.get(i, i))]
                    + [S.amount(a[c]) for c in ("budget", "utfall_period", "ackumulerat", "aterstar")]
                    + [S.rate(a.ratio(None, "ackumulerat", "budget"), pct=True)]
                )
            )
        a = Agg(rows)
        ins_rows.append(
            TRow(
                [text_cell("Summa")]
                + [S.amount(a[c]) for c in ("budget", "utfall_period", "ackumulerat", "aterstar")]
                + [S.rate(a.ratio(None, "ackumulerat", "budget"), pct=True)],
                total=True,
            )
        )
        sec.tables.append(
            Table(
                title="Budget och utfall per insats",
                sources=["ekonomi", "dim_insats"],
                header=["Insats", "Budget helår", "Utfall perioden", "Ackumulerat", "Återstår", "Förbrukningsgrad"],
                rows=ins_rows,
            )
        )
    return sec


# --------------------------------------------------------------------------------------------
# 12. Enhetskostnad och samhällsekonomi
# --------------------------------------------------------------------------------------------


def kostnader(ctx: Ctx) -> Section:
    sec = Section("kostnader", "Kostnad per deltagare och återbetalningstid")
    has_e, has_s = ctx.reader.has("enhetskostnad"), ctx.reader.has("samhallsekonomi")
    if not has_e and not has_s:
        sec.missing = ctx.missing("enhetskostnad", "samhallsekonomi")
        return sec
    S = ctx.S
    if has_e:
        e, ec = Agg(ctx.rows("enhetskostnad")), Agg(ctx.rows("enhetskostnad", True))

        def pair(fn: Callable[[Agg], Cell]) -> list[Cell]:
            return [fn(a) if a else Cell(NOTHING, "na") for a in (e, ec)]

        lines = [
            ("Kostnad (utfall) för perioden, kr", pair(lambda a: S.amount(a["utfall_period"]))),
            ("Aktiva personer", pair(lambda a: S.count(a["aktiva_personer"]))),
            (
                "Kostnad per deltagare, kr",
                pair(
                    lambda a: S.rate(
                        a.ratio("kostnad_per_deltagare", "utfall_period", "aktiva_personer"),
                        a["aktiva_personer"],
                        digits=0,
                    )
                ),
            ),
            ("Nyttjade årsplatser", pair(lambda a: S.amount(a["arsplatser_nyttjade"], 1))),
            ("Kostnad per årsplats och år, kr", pair(lambda a: S.amount(_per_arsplats(a)))),
            ("I mål", pair(lambda a: S.count(a["i_mal"]))),
            (
                "Kostnad per deltagare i mål, kr",
                pair(lambda a: S.rate(a.ratio("kostnad_per_i_mal", "utfall_period", "i_mal"), a["i_mal"], digits=0)),
            ),
        ]
        note = "Kostnaden är periodens bokförda kostnad för alla kostnadsslag."
        if ctx.scope.is_forbund:
            note += (
                " På förbundsnivå summeras insatserna (utan förbundets administration); en person i två insatser "
                "räknas i båda."
            )
        sec.tables.append(
            Table(
                title="Enhetskostnader",
                sources=["enhetskostnad"],
                header=["Mått", ctx.label, ctx.comp_label],
                rows=[TRow([text_cell(lbl)] + cells) for lbl, cells in lines],
                note=note,
            )
        )
    else:
        sec.paragraphs.append(ctx.missing("enhetskostnad") or "")
    if has_s:
        s, sc = Agg(ctx.rows("samhallsekonomi")), Agg(ctx.rows("samhallsekonomi", True))

        def pair_s(fn: Callable[[Agg], Cell]) -> list[Cell]:
            return [fn(a) if a else Cell(NOTHING, "na") for a in (s, sc)]

        def skattad(col: str) -> Callable[[Agg], Cell]:
            return lambda a: S.rate(a[col], a["avslutade_till_resultat_skattade"], digits=0)

        def uppmatt(col: str) -> Callable[[Agg], Cell]:
            def f(a: Agg) -> Cell:
                n = a["personer_med_uppmatt_forsorjningsstod"]
                return S.rate(a[col] / n if n else None, n, digits=0)

            return f

        lines = [
            ("Avslutade till resultat", pair_s(lambda a: S.count(a["avslutade_till_resultat"]))),
            (
                "varav med försörjning registrerad före och efter",
                pair_s(lambda a: S.count(a["avslutade_till_resultat_skattade"])),
            ),
            ("Offentlig kostnad före, kr per månad", pair_s(skattad("kostnad_fore_per_manad"))),
            ("Offentlig kostnad efter, kr per månad", pair_s(skattad("kostnad_efter_per_manad"))),
            ("Besparing, kr per månad", pair_s(skattad("besparing_per_manad"))),
            ("Kostnad (utfall) för perioden, kr", pair_s(lambda a: S.amount(a["utfall_period"]))),
            ("Återbetalningstid, månader", pair_s(lambda a: _aterbetalningstid(S, a))),
            (
                "Personer med uppmätt försörjningsstöd (Pro Capita)",
                pair_s(lambda a: S.count(a["personer_med_uppmatt_forsorjningsstod"])),
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
                [Series(ctx.label, fore), Series(ctx.comp_label, [lines[2][1][1], lines[3][1][1]])],
                title="Offentlig försörjning, kr per månad",
            )
        sec.paragraphs.append(
            "Återbetalningstid = periodens kostnad / besparingen per månad, där besparingen är skillnaden i "
            "skattad offentlig kostnad (parametrar per försörjningskälla) före och efter insatsen för dem som "
            "avslutats till resultat. Uppmätt försörjningsstöd är medelutbetalning per månad sex månader före start "
            "och sex månader efter avslut, där Pro Capita har uppgifter."
        )
        sec.tables.append(
            Table(
                title="Samhällsekonomi och återbetalningstid",
                sources=["samhallsekonomi"],
                header=["Mått", ctx.label, ctx.comp_label],
                rows=[TRow([text_cell(lbl)] + cells) for lbl, cells in lines],
                chart=chart,
            )
        )
    else:
        sec.paragraphs.append(ctx.missing("samhallsekonomi") or "")
    return sec


def _per_arsplats(a: Agg) -> float | None:
    if len(a.rows) == 1:
        return a.rows[0].get("kostnad_per_arsplats")
    dagar = a["deltagardagar"]
    return a["utfall_period"] * 365.25 / dagar if dagar else None


# --------------------------------------------------------------------------------------------
# 13. Aktiviteter i Pro Capita
# --------------------------------------------------------------------------------------------


def aktivitet(ctx: Ctx) -> Section:
    sec = Section("aktivitet", "Aktiviteter i Pro Capita: fullföljande och närvaro")
    sec.missing = ctx.missing("aktivitet")
    if sec.missing:
        return sec
    S = ctx.S
    rows, comp_rows = ctx.rows("aktivitet"), ctx.rows("aktivitet", True)
    if not rows:
        sec.paragraphs.append("Inga aktiviteter i Pro Capita för insatsen under perioden.")
        return sec
    per = by(rows, "aktivitet")
    names = sorted(per)

    def line(label: str, a: Agg, total_row: bool = False, comparison: bool = False) -> TRow:
        return TRow(
            [
                text_cell(label),
                S.count(a["avslutade_aktiviteter"]),
                S.count(a["fullfoljda"]),
                S.count(a["avbrutna"]),
                S.rate(_fullfoljandegrad(a), a["fullfoljda"], a["avbrutna"], pct=True),
                S.amount(a["planerade_timmar"], 1),
                S.amount(a["narvarotimmar"], 1),
                S.rate(a.ratio(None, "narvarotimmar", "planerade_timmar"), pct=True),
            ],
            total=total_row,
            comparison=comparison,
        )

    table_rows = [line(n, Agg(per[n])) for n in names]
    table_rows.append(line("Totalt", Agg(rows), total_row=True))
    table_rows.append(
        line(f"Totalt {ctx.comp_label}", Agg(comp_rows), comparison=True)
        if comp_rows
        else TRow([text_cell(f"Totalt {ctx.comp_label}")] + [Cell(NOTHING, "na")] * 7, comparison=True)
    )
    chart = bar_chart(
        names + ["Totalt"],
        [Series("Fullföljandegrad", [r.cells[4] for r in table_rows[: len(names) + 1]])],
        title="Fullföljandegrad (referens 90 %)",
        percent=True,
        rule=AKTIVITET_REFERENS,
    )
    sec.paragraphs.append(
        "Fullföljandegrad = aktiviteter avslutade som fullföljda / (fullföljda + avbrutna) bland aktiviteter som "
        "avslutats under perioden (Aktivitetscenter Malmös mål: 90 %). Närvarograd = närvarotimmar / planerade timmar."
    )
    sec.tables.append(
        Table(
            title="Aktiviteter per typ",
            sources=["aktivitet"],
            header=[
                "Aktivitet",
                "Avslutade aktiviteter",
                "Fullföljda",
                "Avbrutna",
                "Fullföljandegrad",
                "Planerade timmar",
                "Närvarotimmar",
                "Närvarograd",
            ],
            rows=table_rows,
            chart=chart,
        )
    )
    return sec


def _fullfoljandegrad(a: Agg) -> float | None:
    if not a:
        return None
    den = (a["fullfoljda"] or 0) + (a["avbrutna"] or 0)
    return a["fullfoljda"] / den if den else None


# --------------------------------------------------------------------------------------------
# 14. Finansiering (förbund level) and data notes
# --------------------------------------------------------------------------------------------


def finansiering(ctx: Ctx) -> Section | None:
    if not ctx.scope.is_forbund:
        return None
    sec = Section("finansiering", "Finansiering")
    sec.missing = ctx.missing("finansiering")
    if sec.missing:
        return sec
    year = ctx.period.period_start.year
    if ctx.period.period_slut.year != year:
        sec.paragraphs.append("Finansieringen redovisas per kalenderår; perioden spänner över två år.")
        return sec
    S = ctx.S
    rows = ctx.reader.select("finansiering", {"forbund": ctx.scope.forbund, "ar": year}, order_by="part, finansiar")
    if not rows:
        sec.paragraphs.append(f"Ingen finansiering registrerad för {year}.")
        return sec
    part_label = {"stat": "Staten", "region": "Region", "kommun": "Kommun"}
    table_rows = [
        TRow(
            [
                text_cell(r["finansiar"]),
                text_cell(part_label.get(r.get("part"), r.get("part") or "")),
                S.amount(r["belopp"]),
                S.rate(r.get("andel"), pct=True),
            ]
        )
        for r in rows
    ]
    tot = total(rows, "belopp")
    table_rows.append(
        TRow([text_cell("Summa"), text_cell(""), S.amount(tot), S.rate(1.0 if tot else None, pct=True)], total=True)
    )
    parts = by(rows, "part")
    chart = bar_chart(
        [part_label.get(p, p) for p in parts],
        [Series("Andel", [S.rate(total(parts[p], "belopp") / tot if tot else None, pct=True) for p in parts])],
        title="Andel av finansieringen per part",
        percent=True,
    )
    sec.paragraphs.append(
        "Enligt FINSAM-lagen finansierar staten (Försäkringskassan och Arbetsförmedlingen) hälften, "
        "regionen en fjärdedel och kommunerna tillsammans en fjärdedel."
    )
    sec.tables.append(
        Table(
            title=f"Finansiering {year}",
            sources=["finansiering"],
            header=["Finansiär", "Part", "Belopp, kr", "Andel"],
            rows=table_rows,
            chart=chart,
        )
    )
    return sec


# --------------------------------------------------------------------------------------------
# Övergångar (stegforflyttning, forsorjning_overgang) and Jämförelse med andra förbund (jamforelse)
# --------------------------------------------------------------------------------------------

UPPGIFT_SAKNAS = "Uppgift saknas"
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


def _steg_namn() -> dict[int, str]:
    """Step number → name, from the processtrappa seed (the marts carry the numbers only)."""
    import csv

    from pipelines.settings import DBT_PROJECT_DIR

    with (DBT_PROJECT_DIR / "seeds" / "processtrappa.csv").open(encoding="utf-8") as fh:
        return {int(r["steg"]): r["namn"] for r in csv.DictReader(fh)}


def _kall_ordning(ctx: Ctx) -> dict[str, int]:
    """Income sources in forsorjning's order (its `sortering`), Uppgift saknas last."""
    order = {UPPGIFT_SAKNAS: 10**9}
    if ctx.reader.has("forsorjning"):
        for r in ctx.rows("forsorjning"):
            order.setdefault(r["forsorjningskalla"], r.get("sortering") or 0)
    return order


def _cross_table(
    S: Suppressor,
    rows: list[Row],
    row_key: str,
    col_key: str,
    row_labels: list,
    col_labels: list,
    name: Callable[[Any], str],
) -> list[TRow]:
    """A before × after table of counts (sums of `antal` over kon and insatser); cells suppressed."""
    cells = by(rows, row_key, col_key)
    return [
        TRow([text_cell(name(r))] + [S.count(total(cells.get((r, c), []), "antal") or 0) for c in col_labels])
        for r in row_labels
    ]


def overgangar(ctx: Ctx) -> Section:
    sec = Section("overgangar", "Övergångar: steg i processtrappan och försörjning")
    sec.missing = ctx.missing("stegforflyttning", "forsorjning_overgang")
    if sec.missing:
        return sec
    S = ctx.S
    sec.paragraphs.append(
        "Varifrån och vart deltagarna gick, som SUS före- och efterbilder: från vilket steg i processtrappan "
        "till vilket, och från vilka försörjningskällor till vilka. Celler med färre än "
        f"{S.threshold} deltagare visas som {S.label}."
    )

    # step transitions: start step × end step, all four steps of the ladder
    steg = ctx.rows("stegforflyttning")
    if steg:
        namn = _steg_namn()
        steps = sorted(namn)
        matta = total(steg, "antal")
        upp = sum(r["antal"] for r in steg if r["steg_slut"] > r["steg_start"])
        ned = sum(r["antal"] for r in steg if r["steg_slut"] < r["steg_start"])
        table_rows = _cross_table(S, steg, "steg_start", "steg_slut", steps, steps, lambda k: f"{k} {namn[k]}")
        table_rows.append(
            TRow(
                [text_cell("Summa")] + [S.count(sum(r["antal"] for r in steg if r["steg_slut"] == k)) for k in steps],
                total=True,
            )
        )
        sec.paragraphs.append(
            f"Av {S.n(matta)} som avslutades till resultat med steg mätt vid start och vid avslut gick {S.n(upp)} "
            f"upp minst ett steg och {S.n(ned)} ned."
        )
        sec.tables.append(
            Table(
                title=f"Stegförflyttning: steg vid start (rader) och vid avslut (kolumner) {ctx.label}",
                sources=["stegforflyttning"],
                header=["Steg vid start"] + [f"{k} {namn[k]}" for k in steps],
                rows=table_rows,
                note="Avslutade till resultat med steg mätt både vid start och vid avslut. Över diagonalen: steg upp.",
            )
        )
    else:
        sec.paragraphs.append("Inga stegmätningar vid både start och avslut bland dem som avslutades under perioden.")

    # income transitions: före × efter, for all avslutade and per utfall
    overgang = ctx.rows("forsorjning_overgang")
    if not overgang:
        sec.paragraphs.append("Inga avslutade under perioden: inga försörjningsövergångar.")
        return sec
    order = _kall_ordning(ctx)

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
        sec.tables.append(
            Table(
                title=f"Försörjning före (rader) och efter (kolumner): {title.lower()} {ctx.label}",
                sources=["forsorjning_overgang"],
                header=["Försörjning före"] + efter,
                rows=_cross_table(S, rows, "forsorjning_fore", "forsorjning_efter", fore, efter, str),
                note=(
                    "En deltagare med flera källor räknas i varje par av sina källor, så cellerna summerar inte till antalet "
                    "deltagare. Utan registrerad källa: Uppgift saknas."
                )
                if title == "Alla avslutade"
                else None,
            )
        )
    return sec


def _jamforelse_cell(S: Suppressor, matt: str, value: float | None, counts: tuple = ()) -> Cell:
    visning = JAMFORELSE_MATT[matt][1]
    if visning == "pct":
        return S.rate(value, *counts, pct=True)
    return S.rate(value, *counts, digits=1 if visning == "man" else 0)


def jamforelse(ctx: Ctx) -> Section | None:
    if not ctx.scope.is_forbund or ctx.period.period_typ not in ("halvar", "ar"):
        return None
    sec = Section("jamforelse", "Jämförelse med andra förbund")
    sec.missing = ctx.missing("jamforelse")
    if sec.missing:
        return sec
    S = ctx.S
    rows = {
        r["matt"]: r
        for r in ctx.reader.select(
            "jamforelse",
            {"forbund": ctx.scope.forbund, "period_typ": ctx.period.period_typ, "period_id": ctx.period.period_id},
        )
    }
    shown = [m for m in JAMFORELSE_MATT if m in rows and (rows[m]["antal_forbund"] or 0) >= JAMFORELSE_MIN_FORBUND]
    if not shown:
        sec.paragraphs.append(
            f"Jämförelsen visas där minst {JAMFORELSE_MIN_FORBUND} förbund har ett värde för perioden; så är det inte för {ctx.label}."
        )
        return sec
    table_rows = []
    for m in shown:
        r = rows[m]
        people = JAMFORELSE_MATT[m][2]
        counts = tuple(n for n, is_people in zip((r["taljare"], r["namnare"]), people, strict=True) if is_people)
        table_rows.append(
            TRow(
                [
                    text_cell(JAMFORELSE_MATT[m][0]),
                    _jamforelse_cell(S, m, r["varde"], counts),
                    _jamforelse_cell(S, m, r["p25"]),
                    _jamforelse_cell(S, m, r["median"]),
                    _jamforelse_cell(S, m, r["p75"]),
                    Cell(fmt_number(r["antal_forbund"]), "num", float(r["antal_forbund"])),
                ]
            )
        )
    sec.paragraphs.append(
        "Förbundets egna värden beräknade över alla dess insatser (summor, inte medelvärden av insatsernas värden), "
        "bredvid median och kvartiler över alla förbund i underlaget som har ett värde för perioden. Andra förbund "
        "namnges inte. Ett mått visas när minst tre förbund har ett värde."
    )
    sec.tables.append(
        Table(
            title=f"Jämförelse med andra förbund {ctx.label}",
            sources=["jamforelse"],
            header=["Mått", "Förbundet", "Undre kvartil", "Median", "Övre kvartil", "Antal förbund"],
            rows=table_rows,
            note="Kvartiler och median med linjär interpolation. Förbundets värde döljs när det bygger på färre än "
            f"{S.threshold} personer.",
        )
    )
    return sec


def datakvalitet(ctx: Ctx) -> list[str]:
    """Short lines for the 'Om underlaget' box."""
    S = ctx.S
    out = []
    if ctx.reader.has("datakvalitet"):
        fel = Agg(ctx.rows("datakvalitet"))["felregistreringar"]
        if fel is not None:
            out.append(
                f"Felregistreringar i SUS med start under perioden (ingår inte i något mått): {S.n(fel)} (källa: marts.datakvalitet)."
            )
    else:
        out.append("marts.datakvalitet finns inte i bi.duckdb.")
    return out


BUILDERS: list[Callable[[Ctx], Section | None]] = [
    sammanfattning,
    deltagarflode,
    deltagarrapport_manad,
    resultat,
    avslutsanledningar,
    forsorjning,
    overgangar,
    tid_i_insats,
    bakgrund,
    ekonomi,
    kostnader,
    aktivitet,
    finansiering,
    jamforelse,
]


def build_sections(ctx: Ctx) -> list[Section]:
    sections = [s for s in (b(ctx) for b in BUILDERS) if s is not None]
    n = 0
    for s in sections:
        for t in s.tables:
            n += 1
            t.number = n
    return sections
