"""The report's transition tables and the comparison between förbund, on a tiny bi.duckdb built
from the marts' contracts (no dbt): step and income transitions summed over sex and insatser,
small counts suppressed, the comparison only where three förbund have a value and without the
other förbund's names."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import duckdb
import pytest
from test_report_tiny_marts import AS_OF, PERIODS, D, F, create_mart, flode  # same folder: on sys.path

from pipelines.report import render_report

OTHER = ("Grannförbundet", "Tredje förbundet")


def _kalla(kalla: str, sortering: int) -> dict:
    return flode("ETT", "2022-H1", "Kvinna", forsorjningskalla=kalla, sortering=sortering, antal_fore=1, antal_efter=1)


@pytest.fixture(scope="module")
def bi(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("transitions") / "bi.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    create_mart(
        con,
        "dim_insats",
        [
            {
                "forbund": F,
                "insats_id": "ETT",
                "insatsnamn": "Insats ett",
                "startdatum": D(2020, 1, 1),
                "arsplatser": 10.0,
                "provotid_dagar": 90,
                "malutfall": ["arbete"],
            },
        ],
    )
    create_mart(
        con,
        "dim_period",
        [
            {
                "period_typ": typ,
                "period_id": pid,
                "period_start": s,
                "period_slut": e,
                "period_slut_as_of": min(e, AS_OF),
                "dagar_i_period": (min(e, AS_OF) - s).days + 1,
                "is_complete": c,
                "as_of": AS_OF,
            }
            for pid, (typ, s, e, c) in PERIODS.items()
        ],
    )
    create_mart(
        con,
        "genomflode",
        [
            flode("ETT", "2022-H1", "Kvinna", nyinskrivna=20, avslutade=12, aktiva=30),
            flode("ETT", "2022-H1", "Man", nyinskrivna=5, avslutade=3, aktiva=8),
            flode("ETT", "2021", "Kvinna", nyinskrivna=8, aktiva=8),
        ],
    )
    create_mart(con, "resultat", [flode("ETT", "2022-H1", "Kvinna"), flode("ETT", "2022-H1", "Man")])
    create_mart(
        con,
        "stegforflyttning",
        [
            flode("ETT", "2022-H1", "Kvinna", steg_start=2, steg_slut=3, antal=4),
            flode("ETT", "2022-H1", "Man", steg_start=2, steg_slut=3, antal=1),  # summed with the women: 5
            flode("ETT", "2022-H1", "Kvinna", steg_start=1, steg_slut=1, antal=3),
            flode("ETT", "2022-H1", "Kvinna", steg_start=3, steg_slut=2, antal=1),  # 1: suppressed
        ],
    )
    create_mart(
        con,
        "forsorjning",
        [
            _kalla("Försörjningsstöd", 6),
            _kalla("Ingen offentlig försörjning", 7),
            _kalla("Sjukpenning/Rehabpenning", 9),
            _kalla("Uppgift saknas", 9999),
        ],
    )
    create_mart(
        con,
        "forsorjning_overgang",
        [
            flode(
                "ETT",
                "2022-H1",
                "Kvinna",
                utfall="studier",
                forsorjning_fore="Försörjningsstöd",
                forsorjning_efter="Försörjningsstöd",
                antal=3,
            ),
            flode(
                "ETT",
                "2022-H1",
                "Man",
                utfall="studier",
                forsorjning_fore="Sjukpenning/Rehabpenning",
                forsorjning_efter="Sjukpenning/Rehabpenning",
                antal=2,
            ),
            flode(
                "ETT",
                "2022-H1",
                "Kvinna",
                utfall="arbete",
                forsorjning_fore="Försörjningsstöd",
                forsorjning_efter="Ingen offentlig försörjning",
                antal=4,
            ),
            flode(
                "ETT",
                "2022-H1",
                "Kvinna",
                utfall="tidigt_avhopp",
                forsorjning_fore="Uppgift saknas",
                forsorjning_efter="Uppgift saknas",
                antal=3,
            ),
        ],
    )

    def jmf(forbund, matt, taljare, namnare, **stats) -> dict:
        typ, start, slut, _ = PERIODS["2021"]
        return {
            "forbund": forbund,
            "period_typ": typ,
            "period_id": "2021",
            "matt": matt,
            "period_start": start,
            "period_slut": slut,
            "taljare": taljare,
            "namnare": namnare,
            "varde": taljare / namnare if namnare else None,
            **stats,
        }

    stats3 = {"antal_forbund": 3, "median": 0.5, "p25": 0.4, "p75": 0.6}
    create_mart(
        con,
        "jamforelse",
        [
            jmf(F, "andel_i_mal", 6, 10, rang=1, **stats3),
            jmf(OTHER[0], "andel_i_mal", 5, 10, rang=2, **stats3),
            jmf(OTHER[1], "andel_i_mal", 3, 10, rang=3, **stats3),
            # F's own share rests on 2 persons: hidden, the others' statistics still shown
            jmf(F, "andel_tidiga_avhopp", 1, 2, rang=1, **stats3),
            # two förbund only: not shown
            jmf(
                F,
                "kostnad_per_deltagare",
                100000.0,
                4,
                rang=1,
                antal_forbund=2,
                median=20000.0,
                p25=15000.0,
                p75=22500.0,
            ),
        ],
    )
    con.close()
    return path


def _table(html: str, caption_part: str) -> list[list[str]]:
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        caption = re.search(r"<caption>(.*?)</caption>", table, re.S).group(1)
        if caption_part in html_lib.unescape(caption):
            return [
                [
                    html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                    for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", tr, re.S)
                ]
                for tr in re.findall(r"<tr>.*?</tr>", table, re.S)
            ]
    raise AssertionError(f"no table {caption_part!r}")


def _cell(table: list[list[str]], row: str, column: str) -> str:
    header = table[0]
    return next(r for r in table[1:] if r[0] == row)[header.index(column)]


def test_step_transitions_with_the_ladders_names(bi, tmp_path):
    html = render_report(bi, tmp_path, F, "ETT", "2022-H1", 3).read_text(encoding="utf-8")
    steg = _table(html, "Stegförflyttning: steg vid start")
    assert steg[0] == ["Steg vid start", "1 Introduktion", "2 Kom igång", "3 Kom i jobb", "4 Egen försörjning"]
    assert _cell(steg, "2 Kom igång", "3 Kom i jobb") == "5"  # women and men summed
    assert _cell(steg, "1 Introduktion", "1 Introduktion") == "3"
    assert _cell(steg, "3 Kom i jobb", "2 Kom igång") == "<3"
    assert _cell(steg, "4 Egen försörjning", "4 Egen försörjning") == "0"  # the whole ladder, zeros filled
    assert "Källa: marts.stegforflyttning" in html
    assert (
        "Av 9 som avslutades till resultat med steg mätt vid start och vid avslut gick 5 upp minst ett steg och &lt;3 ned."
        in html
    )


def test_income_transitions_for_all_and_per_utfall(bi, tmp_path):
    html = render_report(bi, tmp_path, F, "ETT", "2022-H1", 3).read_text(encoding="utf-8")
    alla = _table(html, "Försörjning före (rader) och efter (kolumner): alla avslutade")
    # forsorjning's order, Uppgift saknas last
    assert alla[0] == [
        "Försörjning före",
        "Försörjningsstöd",
        "Ingen offentlig försörjning",
        "Sjukpenning/Rehabpenning",
        "Uppgift saknas",
    ]
    assert [r[0] for r in alla[1:]] == ["Försörjningsstöd", "Sjukpenning/Rehabpenning", "Uppgift saknas"]
    assert _cell(alla, "Försörjningsstöd", "Ingen offentlig försörjning") == "4"
    assert _cell(alla, "Försörjningsstöd", "Försörjningsstöd") == "3"
    assert _cell(alla, "Sjukpenning/Rehabpenning", "Sjukpenning/Rehabpenning") == "<3"
    studier = _table(html, "utfall studier")
    assert studier[0] == ["Försörjning före", "Försörjningsstöd", "Sjukpenning/Rehabpenning"]
    assert _cell(studier, "Försörjningsstöd", "Försörjningsstöd") == "3"
    assert _table(html, "utfall tidigt avhopp")[1] == ["Uppgift saknas", "3"]
    assert "Källa: marts.forsorjning_overgang" in html


def test_comparison_at_forbund_level_only_where_three_have_a_value(bi, tmp_path):
    html = render_report(bi, tmp_path, F, None, "2021", 3).read_text(encoding="utf-8")
    jmf = _table(html, "Jämförelse med andra förbund 2021")
    assert jmf[0] == ["Mått", "Förbundet", "Undre kvartil", "Median", "Övre kvartil", "Antal förbund"]
    assert [r[0] for r in jmf[1:]] == ["Andel i mål", "Andel tidiga avhopp"]  # kostnad: only 2 förbund
    assert jmf[1][1:] == ["60,0\u00a0%", "40,0\u00a0%", "50,0\u00a0%", "60,0\u00a0%", "3"]
    assert jmf[2][1] == ".."  # 1 of 2: suppressed; the statistics over all förbund are still shown
    assert jmf[2][3] == "50,0\u00a0%"
    assert not any(name in html for name in OTHER)
    insats = render_report(bi, tmp_path, F, "ETT", "2021", 3).read_text(encoding="utf-8")
    assert "Jämförelse med andra förbund" not in insats  # a förbund's measure, not an insats'


def test_missing_transition_marts_are_omitted_with_a_note(tmp_path):
    path = tmp_path / "bi.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        create_mart(
            con,
            "dim_insats",
            [{"forbund": F, "insats_id": "ETT", "insatsnamn": "Insats ett", "startdatum": D(2020, 1, 1)}],
        )
        typ, s, e, c = PERIODS["2021"]
        create_mart(
            con,
            "dim_period",
            [
                {
                    "period_typ": typ,
                    "period_id": "2021",
                    "period_start": s,
                    "period_slut": e,
                    "period_slut_as_of": e,
                    "dagar_i_period": 365,
                    "is_complete": c,
                    "as_of": AS_OF,
                }
            ],
        )
        create_mart(con, "genomflode", [flode("ETT", "2021", "Kvinna", nyinskrivna=8, aktiva=8)])
        create_mart(con, "resultat", [flode("ETT", "2021", "Kvinna")])
    html = render_report(path, tmp_path, F, None, "2021", 3).read_text(encoding="utf-8")
    assert "Avsnittet utelämnas: marts.stegforflyttning, marts.forsorjning_overgang finns inte i bi.duckdb" in html
    assert "Avsnittet utelämnas: marts.jamforelse finns inte i bi.duckdb" in html
