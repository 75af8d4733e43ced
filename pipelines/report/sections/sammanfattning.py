"""Sammanfattning: the running text the teams write by hand and the key figures."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.report.format import NOTHING, Cell, text_cell
from pipelines.report.sections.shared import (
    UTFALL_LABEL,
    GroupTotals,
    ReportData,
    Section,
    Table,
    TableRow,
    aterbetalningstid,
    belaggningsgrad,
    comparison_note,
)


def sammanfattning(data: ReportData) -> Section:
    section = Section("sammanfattning", "Sammanfattning")
    suppress = data.suppress
    if data.missing("genomflode", "resultat"):
        section.missing = data.missing("genomflode", "resultat")
        return section
    g, gc = data.by_kon("genomflode")["Totalt"], data.by_kon("genomflode", True)["Totalt"]
    r, rc = data.by_kon("resultat")["Totalt"], data.by_kon("resultat", True)["Totalt"]
    gk = data.by_kon("genomflode")
    p = data.period

    # the text the teams write by hand (Avesta 2018, "Sammanfattning")
    if g:
        kvinnor, man = gk.get("Kvinna"), gk.get("Man")
        delar = []
        if kvinnor is not None and man is not None:
            delar = [f"{suppress.n(kvinnor['nyinskrivna'])} kvinnor och {suppress.n(man['nyinskrivna'])} män"]
        slut = p.period_slut if p.is_complete or not p.period_slut_as_of else p.period_slut_as_of
        vid_slut = "Vid periodens slut" if p.is_complete else f"Den {slut.isoformat()}"
        text = (
            f"Under perioden {p.period_start.isoformat()} – {slut.isoformat()} har "
            f"{suppress.n(g['nyinskrivna'])} personer skrivits in i verksamheten"
            + (f" ({delar[0]})" if delar else "")
            + f". {vid_slut} var {suppress.n(g['inskrivna_vid_periodslut'])} personer inskrivna. "
            f"{suppress.n(g['avslutade'])} personer har avslutats under perioden, varav {suppress.n(g['tidiga_avhopp'])} "
            f"tidiga avhopp (inom prövotiden)."
        )
        section.paragraphs.append(text)
        if r and r["avslutade_till_resultat"]:
            andel = suppress.share(r["i_mal"], r["avslutade_till_resultat"])
            mal = ", ".join(UTFALL_LABEL.get(c, c).lower() for c in data.malutfall) or "insatsens mål"
            text = (
                f"Av de {suppress.n(r['avslutade_till_resultat'])} som avslutades till resultat gick "
                f"{suppress.n(r['i_mal'])} i mål ({mal})"
                + (f", det vill säga {andel.text}" if andel.kind == "num" else "")
                + "."
            )
            gt = suppress.rate(r.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), r["i_mal"])
            if gt.kind == "num":
                text += f" Genomströmningstiden för dem som gick i mål var {gt.text} månader."
            section.paragraphs.append(text)
    else:
        section.paragraphs.append("Insatsen har inga rader i marts.genomflode för perioden.")

    rows: list[tuple[str, Cell, Cell, str]] = []

    def add(label: str, this: Cell, comp: Cell, mart: str) -> None:
        rows.append((label, this, comp, mart))

    def both(fn: Callable[[GroupTotals], Cell], a: GroupTotals, b: GroupTotals) -> tuple[Cell, Cell]:
        return (fn(a) if a else Cell(NOTHING, "na")), (fn(b) if b else Cell(NOTHING, "na"))

    for label, col in (
        ("Inskrivna vid periodstart", "inskrivna_vid_periodstart"),
        ("Nyinskrivna", "nyinskrivna"),
        ("Avslutade", "avslutade"),
        ("varav tidiga avhopp", "tidiga_avhopp"),
        ("Avslutade till resultat", "avslutade_till_resultat"),
        ("Inskrivna vid periodslut", "inskrivna_vid_periodslut"),
    ):
        add(label, *both(lambda a, c=col: suppress.count(a[c]), g, gc), "genomflode")
    add("Beläggningsgrad", *both(lambda a: suppress.rate(belaggningsgrad(data, a), pct=True), g, gc), "genomflode")
    add("I mål", *both(lambda a: suppress.count(a["i_mal"]), r, rc), "resultat")
    add("Andel i mål", *both(lambda a: suppress.share(a["i_mal"], a["avslutade_till_resultat"]), r, rc), "resultat")
    add(
        "Genomströmningstid, månader",
        *both(
            lambda a: suppress.rate(a.ratio("genomstromningstid_man", "summa_manader_i_mal", "i_mal"), a["i_mal"]),
            r,
            rc,
        ),
        "resultat",
    )
    add(
        "Andel stegförflyttning uppåt",
        *both(lambda a: suppress.share(a["steg_upp"], a["steg_matta"]), r, rc),
        "resultat",
    )
    sources = ["genomflode", "resultat"]
    if data.reader.has("enhetskostnad"):
        e, ec = GroupTotals(data.rows("enhetskostnad")), GroupTotals(data.rows("enhetskostnad", True))
        add(
            "Kostnad (utfall) för perioden, kr",
            *both(lambda a: suppress.amount(a["utfall_period"]), e, ec),
            "enhetskostnad",
        )
        add(
            "Kostnad per deltagare, kr",
            *both(
                lambda a: suppress.rate(
                    a.ratio("kostnad_per_deltagare", "utfall_period", "aktiva_personer"), a["aktiva_personer"], digits=0
                ),
                e,
                ec,
            ),
            "enhetskostnad",
        )
        sources.append("enhetskostnad")
    if data.reader.has("samhallsekonomi"):
        s, sc = GroupTotals(data.rows("samhallsekonomi")), GroupTotals(data.rows("samhallsekonomi", True))
        add("Återbetalningstid, månader", *both(lambda a: aterbetalningstid(suppress, a), s, sc), "samhallsekonomi")
        sources.append("samhallsekonomi")

    section.tables.append(
        Table(
            title=f"Nyckeltal {data.period_label} jämfört med {data.comparison_label}",
            sources=sources,
            header=["Mått", data.period_label, data.comparison_label, "Källa"],
            rows=[TableRow([text_cell(lbl), a, b, text_cell(f"marts.{m}")]) for lbl, a, b, m in rows],
            note=comparison_note(data),
        )
    )
    return section
