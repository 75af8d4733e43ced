"""The report, end to end: real raw tables → real dbt models → publish → bi.duckdb → HTML.

The participant data are the Västerås H1 2022 episodes of test_reference_reports.py (whose
SUS figures are known: 60 nyinskrivna, 31 avslutade, 3 tidiga avhopp, 28 to result), plus a
budget, a ledger, financing and a few Pro Capita activities for the economics and activity
sections, and a tiny second insats whose counts must be suppressed. Then the HTML is checked
for the marts' numbers in Swedish format, the source captions, small-count suppression, no
URL and nothing person-level, and headless Chromium renders it without a console error.

It is one module because the tests share one warehouse built from these rows and the reports
rendered from it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from test_reference_reports import (  # same folder: pytest puts it on sys.path
    DBT_PROJECT_DIR,
    VASTERAS_AS_OF,
    VASTERAS_FORBUND,
    VASTERAS_INSATS,
    Episode,
    _check_vasteras,
    create_raw_tables,
    deltagare_rows,
    load_raw,
    person_id,
    stegmatning_rows,
    vasteras_h1_2022,
)
from typer.testing import CliRunner

from pipelines.publish.bi import publish
from pipelines.report import render_latest, render_report, report_path

D = dt.date
NBSP = "\u00a0"
TINY_INSATS = "TINY-VAS"
CHROMIUM = Path("/usr/bin/chromium")


# --------------------------------------------------------------------------------------------
# Build bi.duckdb once for the module
# --------------------------------------------------------------------------------------------


def tiny_episodes() -> list[Episode]:
    """Two people start in H1 2022, one of them ends after 100 days (to result, Arbete)."""
    return [
        Episode(
            "tiny-1",
            "Kvinna",
            D(2022, 1, 10),
            D(2022, 4, 20),
            "Utskrivning",
            "Arbete",
            forsorjning_efter=["Ingen offentlig försörjning"],
        ),
        Episode("tiny-2", "Man", D(2022, 2, 14)),
    ]


def ledger_rows() -> list[dict]:
    rows = []
    for month in range(1, 7):
        period = D(2022, month, 1)
        for projekt, konto, belopp in (
            (VASTERAS_INSATS, 5010, 300_000.0),  # Egen personal
            (VASTERAS_INSATS, 4610, 40_000.0),  # Externa tjänster
            (VASTERAS_INSATS, 6110, 25_000.0),  # Lokaler
            (VASTERAS_INSATS, 7010, 15_000.0),  # Övriga kostnader
            (TINY_INSATS, 5010, 10_000.0),
            (None, 5010, 20_000.0),  # the förbund's own administration
            (VASTERAS_INSATS, 3010, -50_000.0),  # revenue: not a cost
        ):
            rows.append(
                {
                    "forbund": VASTERAS_FORBUND,
                    "period": period,
                    "_period_month": period,
                    "projekt": projekt,
                    "konto": konto,
                    "kontobenamning": f"Konto {konto}",
                    "belopp": belopp,
                }
            )
    return rows


BUDGET_2022 = [
    (VASTERAS_INSATS, "Egen personal", 4_000_000.0),
    (VASTERAS_INSATS, "Externa tjänster", 500_000.0),
    (VASTERAS_INSATS, "Lokaler", 300_000.0),
    (VASTERAS_INSATS, "Övriga kostnader", 200_000.0),
    (TINY_INSATS, "Egen personal", 150_000.0),
    (None, "Egen personal", 250_000.0),
]


def procapita_rows() -> list[dict]:
    rows = []
    for i in range(12):
        status = "Fullföljd" if i < 10 else "Avbruten"
        rows.append(
            {
                "person_id": person_id(f"pc-{i}"),
                "fodelsedatum": D(1985, 1, 1),
                "kon_personnummer": "Kvinna" if i % 2 else "Man",
                "aktivitet": "Arbetsträning",
                "insats_id": VASTERAS_INSATS,
                "beslutsdatum": D(2021, 12, 1),
                "startdatum": D(2022, 1, 3),
                "planerat_slutdatum": D(2022, 5, 31),
                "slutdatum": D(2022, 3, 1 + i),
                "status": status,
                "planerade_timmar_per_vecka": 10.0,
            }
        )
    return rows


def run_dbt(warehouse: Path, work: Path, as_of: dt.date) -> None:
    """`dbt build` of seeds and models (the marts' own tests run in the project's build), in a
    subprocess: in process, dbt-duckdb would keep the warehouse attached and publish could not."""
    dbt = Path(sys.executable).with_name("dbt")
    run = subprocess.run(
        [
            str(dbt),
            "build",
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--vars",
            f"{{as_of: '{as_of.isoformat()}'}}",
            "--quiet",
            "--no-send-anonymous-usage-stats",
        ],
        env={**os.environ, "FINSAM_WAREHOUSE_PATH": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"dbt build failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"


@pytest.fixture(scope="module")
def episodes() -> list[Episode]:
    e = vasteras_h1_2022()
    _check_vasteras(e)
    return e


@pytest.fixture(scope="module")
def bi_path(tmp_path_factory, episodes) -> Path:
    work = tmp_path_factory.mktemp("report_bi")
    warehouse = work / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    layouts = create_raw_tables(con)
    load_raw(
        con,
        layouts,
        "insatser",
        [
            {
                "forbund": VASTERAS_FORBUND,
                "insats_id": VASTERAS_INSATS,
                "insatsnamn": "Samordningsteam Västerås",
                "startdatum": D(2016, 7, 1),
                "arsplatser": 111.0,
                "provotid_dagar": 90,
                "malutfall": "arbete, studier, arbetslivsinriktad_rehab",
            },
            {
                "forbund": VASTERAS_FORBUND,
                "insats_id": TINY_INSATS,
                "insatsnamn": "Litet team",
                "startdatum": D(2021, 1, 1),
                "arsplatser": 2.0,
                "provotid_dagar": 90,
                "malutfall": "arbete, studier, arbetslivsinriktad_rehab",
            },
        ],
        "insatser_2022-08-01.csv",
        D(2022, 8, 1),
    )
    load_raw(
        con,
        layouts,
        "sus_deltagare",
        deltagare_rows(VASTERAS_FORBUND, VASTERAS_INSATS, "Samordningsteam Västerås", episodes)
        + deltagare_rows(VASTERAS_FORBUND, TINY_INSATS, "Litet team", tiny_episodes()),
        "sus_deltagare_2022-08-10.xlsx",
        D(2022, 8, 10),
    )
    load_raw(
        con,
        layouts,
        "stegmatning",
        stegmatning_rows(VASTERAS_INSATS, episodes),
        "stegmatning_2022-08-05.csv",
        D(2022, 8, 5),
    )
    load_raw(
        con,
        layouts,
        "budget",
        [
            {"ar": 2022, "forbund": VASTERAS_FORBUND, "insats_id": i, "kostnadsslag": k, "belopp": b}
            for i, k, b in BUDGET_2022
        ],
        "budget_2022.csv",
        D(2022, 1, 15),
    )
    load_raw(con, layouts, "ledger", ledger_rows(), "ledger_2022-07-05.csv", D(2022, 7, 5))
    load_raw(
        con,
        layouts,
        "finansiering",
        [
            {"ar": 2022, "forbund": VASTERAS_FORBUND, "finansiar": f, "belopp": b}
            for f, b in (
                ("Försäkringskassan", 2_000_000.0),
                ("Arbetsförmedlingen", 2_000_000.0),
                ("Region Västmanland", 2_000_000.0),
                ("Västerås stad", 2_000_000.0),
            )
        ],
        "finansiering_2022.csv",
        D(2022, 1, 15),
    )
    load_raw(
        con, layouts, "procapita_aktiviteter", procapita_rows(), "procapita_aktiviteter_2022-07-10.csv", D(2022, 7, 10)
    )
    con.close()
    run_dbt(warehouse, work, VASTERAS_AS_OF)
    bi = work / "bi.duckdb"
    publish(warehouse, bi, work / "bi")
    return bi


@pytest.fixture(scope="module")
def marts(bi_path):
    con = duckdb.connect(str(bi_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def report_html(bi_path, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("reports")
    path = render_report(bi_path, out, VASTERAS_FORBUND, VASTERAS_INSATS, "2022-H1", 3)
    return path, path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Reading the HTML back: tables by caption, rows by their first cell
# --------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_svg = 0

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self._in_svg += 1
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "svg":
            self._in_svg -= 1
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> list[dict]:
    p = _Tables()
    p.feed(html)
    return p.tables


def table(html: str, caption_part: str) -> dict:
    found = [t for t in tables(html) if caption_part in t["caption"]]
    assert found, f"no table with caption containing {caption_part!r}: {[t['caption'] for t in tables(html)]}"
    return found[0]


def row(t: dict, first: str) -> dict[str, str]:
    header = t["rows"][0]
    for r in t["rows"][1:]:
        if r[0] == first:
            return dict(zip(header, r, strict=False))
    raise AssertionError(f"no row {first!r} in {t['caption']}: {[r[0] for r in t['rows']]}")


def sv(text: str) -> str:
    """The report writes a no-break space in numbers; compare with plain spaces."""
    return text.replace(NBSP, " ")


def mart_total(con, mart: str, column: str, insats: str, period_id: str) -> float:
    return con.execute(
        f"select sum({column}) from marts.{mart} where forbund = ? and insats_id = ? and period_id = ?",
        [VASTERAS_FORBUND, insats, period_id],
    ).fetchone()[0]


# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------


def test_report_path_and_title(report_html, bi_path):
    path, html = report_html
    assert path.name == "2022-H1.html"
    assert path.parent.name == VASTERAS_INSATS
    assert path.parent.parent.name == "Samordningsförbundet_Västerås"
    assert "<h1>Samordningsteam Västerås</h1>" in html
    assert "Halvårsrapport 2022-H1" in html
    assert "2022-01-01 – 2022-06-30" in html
    assert "2021-H1 (samma period föregående år)" in html


def test_deltagarflode_has_the_reference_numbers(report_html, marts):
    _, html = report_html
    t = table(html, "Deltagarflöde per kön")
    assert "Källa: marts.genomflode" in t["caption"]
    totalt = row(t, "Totalt")
    # SUS Deltagarrapport H1 2022: 60 new, 31 ended, 3 early dropouts, 28 to result
    assert (
        totalt["Nyinskrivna"],
        totalt["Avslutade"],
        totalt["varav tidiga avhopp"],
        totalt["varav till resultat"],
    ) == ("60", "31", "3", "28")
    slut = mart_total(marts, "genomflode", "inskrivna_vid_periodslut", VASTERAS_INSATS, "2022-H1")
    assert totalt["Inskrivna vid periodslut"] == str(slut) == "66"
    # the comparison row is the same period one year earlier, from the same mart
    jmf = row(t, "Totalt 2021-H1")
    assert jmf["Nyinskrivna"] == sv_count(mart_total(marts, "genomflode", "nyinskrivna", VASTERAS_INSATS, "2021-H1"))


def sv_count(n: int | None) -> str:
    if n is None:
        return "–"
    return "<3" if 0 < n < 3 else f"{n:,}".replace(",", NBSP)


def test_resultat_goal_share_in_swedish_format(report_html, marts):
    _, html = report_html
    t = table(html, "Utfall för avslutade till resultat")
    assert "Källa: marts.resultat" in t["caption"]
    i_mal = mart_total(marts, "resultat", "i_mal", VASTERAS_INSATS, "2022-H1")
    till = mart_total(marts, "resultat", "avslutade_till_resultat", VASTERAS_INSATS, "2022-H1")
    assert (i_mal, till) == (9, 28)  # arbete 2 + studier 1 + fortsatt rehabilitering 6
    assert row(t, "I mål")["Totalt"] == "9"
    assert row(t, "Andel i mål")["Totalt"] == f"32,1{NBSP}%"  # 9 / 28, decimal comma, no-break space
    assert row(t, "Arbete")["Ingår i mål"] == "ja" and row(t, "Sjukdom")["Ingår i mål"] == ""
    # 2 to work: a small count, shown as <3, and its share hidden
    assert row(t, "Arbete")["Totalt"] == "<3" and row(t, "Arbete")["Andel"] == ".."
    assert row(t, "Aktivt arbetssökande")["Totalt"] == "11"
    assert row(t, "Aktivt arbetssökande")["Andel"] == f"39,3{NBSP}%"  # the report's 39 %
    steg = table(html, "Stegförflyttning")
    assert row(steg, "Totalt")["Steg upp"] == "21" and row(steg, "Totalt")["Andel steg upp 2022-H1"] == f"75,0{NBSP}%"


def test_monthly_table_and_distributions(report_html):
    _, html = report_html
    t = table(html, "Deltagarrapport per månad")
    assert "Källa: marts.genomflode" in t["caption"]
    assert [r[0] for r in t["rows"][1:]] == [
        f"{m} 2022" for m in ("januari", "februari", "mars", "april", "maj", "juni")
    ] + ["Summa perioden"]
    mars = row(t, "mars 2022")
    assert (mars["Nyinskrivna totalt"], mars["Avslutade totalt"]) == ("13", "<3")  # 13 in, 2 out
    summa = row(t, "Summa perioden")
    assert (summa["Nyinskrivna totalt"], summa["varav pågående vid månadens slut"], summa["Avslutade totalt"]) == (
        "60",
        "55",
        "31",
    )
    assert summa["Snittid avslutade, dagar"] == "320"
    tid = table(html, "Tid i insats, månader")
    assert "Källa: marts.fordelning" in tid["caption"]
    assert row(tid, "11 - 15")["Totalt"] == "14" and row(tid, "11 - 15")["Andel"] == f"50,0{NBSP}%"
    alder = table(html, "Åldersfördelning")
    assert [row(alder, b)["Totalt"] for b in ("15 - 29", "30 - 44", "45 - 59", "60 - 74")] == ["11", "27", "18", "4"]
    assert row(alder, "30 - 44")["Andel"] == f"45,0{NBSP}%"
    avslut = table(html, "Avslutsanledningar")
    assert row(avslut, "Utskrivning pga sjukdom")["Totalt"] == "8"
    assert row(avslut, "Utskrivning")["Andel"] == f"35,5{NBSP}%"  # 11 / 31 as in SUS
    fs = table(html, "Försörjningsförändringar")
    assert "Källa: marts.forsorjning" in fs["caption"]
    forsorjningsstod = row(fs, "Försörjningsstöd")
    assert (forsorjningsstod["Antal före"], forsorjningsstod["Antal efter"], forsorjningsstod["Förändring i %"]) == (
        "24",
        "16",
        "-33",
    )
    assert forsorjningsstod["Andel före"] == f"68,6{NBSP}%"  # 24 / 35 sources, as SUS


def test_economics_unit_costs_and_activities(report_html):
    _, html = report_html
    eko = table(html, "Budget och utfall per kostnadsslag")
    assert "Källa: marts.ekonomi" in eko["caption"]
    personal = row(eko, "Egen personal")
    assert sv(personal["Budget helår"]) == "4 000 000"
    assert sv(personal["Periodiserad budget"]) == "2 000 000"
    assert sv(personal["Utfall perioden"]) == "1 800 000"
    assert sv(personal["Återstår"]) == "2 200 000"
    assert personal["Förbrukningsgrad"] == f"45,0{NBSP}%"
    assert sv(personal["Avvikelse mot periodiserad budget"]) == "-200 000"
    assert sv(row(eko, "Summa")["Utfall perioden"]) == "2 280 000"  # revenue is no cost
    enhet = table(html, "Enhetskostnader")
    assert "Källa: marts.enhetskostnad" in enhet["caption"]
    assert sv(row(enhet, "Kostnad (utfall) för perioden, kr")["2022-H1"]) == "2 280 000"
    assert "Källa: marts.samhallsekonomi" in table(html, "Samhällsekonomi")["caption"]
    akt = table(html, "Aktiviteter per typ")
    assert "Källa: marts.aktivitet" in akt["caption"]
    arbetstraning = row(akt, "Arbetsträning")
    assert (arbetstraning["Fullföljda"], arbetstraning["Avbrutna"], arbetstraning["Fullföljandegrad"]) == (
        "10",
        "<3",
        "..",
    )


def test_every_table_names_its_mart(report_html):
    _, html = report_html
    found = tables(html)
    assert len(found) >= 15
    for t in found:
        assert re.search(r"Källa: marts\.\w+", t["caption"]), t["caption"]
    assert html.count("<svg") >= 12  # a chart beside most tables


def test_small_counts_suppressed_in_tables_and_charts(bi_path, tmp_path):
    path = render_report(bi_path, tmp_path, VASTERAS_FORBUND, TINY_INSATS, "2022-H1", 3)
    html = path.read_text(encoding="utf-8")
    flode = row(table(html, "Deltagarflöde per kön"), "Totalt")
    assert (flode["Nyinskrivna"], flode["Avslutade"], flode["Inskrivna vid periodslut"]) == ("<3", "<3", "<3")
    assert flode["varav tidiga avhopp"] == "0"  # zero is not suppressed
    res = table(html, "Utfall för avslutade till resultat")
    assert row(res, "I mål")["Totalt"] == "<3" and row(res, "Andel i mål")["Totalt"] == ".."
    gt = row(table(html, "Genomströmningstid"), "Totalt")
    assert gt["Månader 2022-H1"] == ".."  # one person's time would show
    kap = table(html, "Tid i insats och kapacitet")
    assert row(kap, "Snittid avslutade, dagar")["2022-H1"] == ".."
    # charts say <3 too, and no count of 1 or 2 appears in a chart label
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    labels = [re.sub(r"<[^>]+>", "", m) for svg in svgs for m in re.findall(r"<text[^>]*>[^<]*</text>", svg)]
    assert "&lt;3" in labels
    assert "Litet antal" in html and "..</td>" in html
    # the rule is written down in the footer
    assert "mindre än 3 visas som <code>&lt;3</code>" in html
    # a higher threshold from the settings changes the rule
    html5 = render_report(bi_path, tmp_path / "t5", VASTERAS_FORBUND, VASTERAS_INSATS, "2022-H1", 5).read_text(
        encoding="utf-8"
    )
    assert row(table(html5, "Deltagarflöde per kön"), "Totalt")["varav tidiga avhopp"] == "<5"


def test_forbund_level_sums_the_insatser(bi_path, tmp_path, marts):
    path = render_report(bi_path, tmp_path, VASTERAS_FORBUND, None, "2022-H1", 3)
    assert path.parent.name == "_forbund"
    html = path.read_text(encoding="utf-8")
    totalt = row(table(html, "Deltagarflöde per kön"), "Totalt")
    assert totalt["Nyinskrivna"] == "62"  # 60 + 2
    per_insats = table(html, "Budget och utfall per insats")
    assert sv(row(per_insats, "Förbundets administration")["Utfall perioden"]) == "120 000"
    assert sv(row(per_insats, "Summa")["Utfall perioden"]) == "2 460 000"
    fin = table(html, "Finansiering 2022")
    assert row(fin, "Summa")["Andel"] == f"100,0{NBSP}%"


def test_no_urls_no_scripts_no_person_level_data(report_html, episodes):
    _, html = report_html
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and " src=" not in html and "@import" not in html
    assert "person_id" not in html
    assert not re.search(r"\b[0-9a-f]{64}\b", html)
    for e in episodes[:20]:
        assert person_id(e.person) not in html


def test_missing_mart_section_is_omitted_with_a_note(bi_path, tmp_path):
    partial = tmp_path / "bi_partial.duckdb"
    shutil.copyfile(bi_path, partial)
    with duckdb.connect(str(partial)) as con:
        for mart in ("ekonomi", "enhetskostnad", "samhallsekonomi", "aktivitet"):
            con.execute(f"drop table marts.{mart}")
    html = render_report(partial, tmp_path / "out", VASTERAS_FORBUND, VASTERAS_INSATS, "2022-H1", 3).read_text(
        encoding="utf-8"
    )
    assert "Avsnittet utelämnas: marts.ekonomi finns inte i bi.duckdb" in html
    assert "Avsnittet utelämnas: marts.aktivitet finns inte i bi.duckdb" in html
    assert "Avsnittet utelämnas: marts.enhetskostnad, marts.samhallsekonomi finns inte i bi.duckdb" in html
    assert row(table(html, "Deltagarflöde per kön"), "Totalt")["Nyinskrivna"] == "60"


def test_any_period_type(bi_path, tmp_path):
    for period_id, kicker in (
        ("2022", "Årsrapport 2022"),
        ("2022-Q2", "Kvartalsrapport 2022-Q2"),
        ("2022-06", "Månadsrapport 2022-06"),
        ("2021-07--2022-06", "Rapport rullande tolv månader"),
    ):
        html = render_report(bi_path, tmp_path, VASTERAS_FORBUND, VASTERAS_INSATS, period_id, 3).read_text(
            encoding="utf-8"
        )
        assert kicker in html, period_id
    # the year 2022 is not complete on 30 June: the report says so
    assert "Perioden är inte avslutad" in (
        tmp_path / "Samordningsförbundet_Västerås" / VASTERAS_INSATS / "2022.html"
    ).read_text(encoding="utf-8")
    with pytest.raises(ValueError, match=r"not in marts\.dim_period"):
        render_report(bi_path, tmp_path, VASTERAS_FORBUND, VASTERAS_INSATS, "2030-H1", 3)
    with pytest.raises(ValueError, match="not registered"):
        render_report(bi_path, tmp_path, VASTERAS_FORBUND, "NOPE", "2022-H1", 3)


def test_render_latest_complete_half_year_and_year(bi_path, tmp_path):
    paths = render_latest(bi_path, tmp_path, 3)
    # as_of 2022-06-30: the latest complete half-year is 2022-H1, the latest complete year 2021
    expected = {
        report_path(tmp_path, VASTERAS_FORBUND, i, p)
        for i in (VASTERAS_INSATS, TINY_INSATS, None)
        for p in ("2022-H1", "2021")
    }
    assert set(paths) == expected
    assert all(p.exists() for p in paths)


def test_cli_report_prints_the_path(bi_path, tmp_path):
    from pipelines.cli import app

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(bi_path, data_dir / "bi.duckdb")
    saved = {k: os.environ.get(k) for k in ("FINSAM_DATA_DIR", "FINSAM_LANDING_DIR", "FINSAM_AS_OF")}
    try:
        result = CliRunner().invoke(
            app,
            [
                "report",
                "--forbund",
                VASTERAS_FORBUND,
                "--insats",
                VASTERAS_INSATS,
                "--period",
                "2022-H1",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert result.exit_code == 0, result.output
        written = Path(result.output.strip().splitlines()[-1])
        assert (
            written
            == data_dir.resolve() / "reports" / "Samordningsförbundet_Västerås" / VASTERAS_INSATS / "2022-H1.html"
        )
        assert written.exists()
        bad = CliRunner().invoke(
            app, ["report", "--forbund", VASTERAS_FORBUND, "--period", "1999", "--data-dir", str(data_dir)]
        )
        assert bad.exit_code == 1
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------------------------
# Headless Chromium: the file renders, offline, without console errors
# --------------------------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium)")
def test_chromium_renders_the_report(report_html, tmp_path):
    path, html = report_html
    url = path.resolve().as_uri()
    profile = tmp_path / "profile"
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [
            str(CHROMIUM),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists(), f"no screenshot: {run.returncode} {run.stderr[-2000:]}"
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000, "the screenshot looks blank"
    assert not _console_errors(run.stderr), _console_errors(run.stderr)
    keep = os.environ.get("FINSAM_REPORT_SCREENSHOT")  # to look at it: FINSAM_REPORT_SCREENSHOT=/tmp/x.png
    if keep:
        shutil.copyfile(shot, keep)

    dom = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<h1>Samordningsteam Västerås</h1>" in dom.stdout
    assert dom.stdout.count("<svg") == html.count("<svg") >= 12
    assert dom.stdout.count("<table") == html.count("<table")
    assert not _console_errors(dom.stderr), _console_errors(dom.stderr)


def test_step_transitions_add_up_to_resultat(report_html, marts):
    _, html = report_html
    steg = table(html, "Stegförflyttning: steg vid start")
    cells = [int(c) for r in steg["rows"][1:-1] for c in r[1:] if c.isdigit()]
    matta = mart_total(marts, "resultat", "steg_matta", VASTERAS_INSATS, "2022-H1")
    assert matta >= 3 and sum(cells) == matta  # no cell is small in the reference half-year
    assert table(html, "Försörjning före (rader) och efter (kolumner): alla avslutade")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium)")
def test_chromium_renders_the_transition_and_comparison_sections(report_html, demo_refresh, tmp_path):
    """The insats report's transition tables and, on the demo data's three förbund, a förbund
    report's comparison section render in Chromium without console errors."""
    assert demo_refresh.first.returncode == 0, demo_refresh.first.stdout[-3000:]
    bi = demo_refresh.data / "bi.duckdb"
    with duckdb.connect(str(bi), read_only=True) as con:
        year = con.execute(
            "select max(j.period_id) from marts.jamforelse j join marts.dim_period p using (period_typ, period_id) "
            "where j.period_typ = 'ar' and p.is_complete and j.antal_forbund >= 3"
        ).fetchone()[0]
    assert year is not None, "the demo data has no year with three comparable förbund"
    forbund = render_report(bi, tmp_path / "reports", VASTERAS_FORBUND, None, year, 3)
    cases = [
        (
            report_html[0],
            [
                "Övergångar: steg i processtrappan och försörjning",
                "Stegförflyttning: steg vid start",
                "Försörjning före (rader) och efter (kolumner): alla avslutade",
            ],
        ),
        (forbund, ["Jämförelse med andra förbund", "Övergångar: steg i processtrappan och försörjning"]),
    ]
    for i, (path, headings) in enumerate(cases):
        profile, shot = tmp_path / f"profile{i}", tmp_path / f"shot{i}.png"
        dom = subprocess.run(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", path.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dom.returncode == 0, dom.stderr[-2000:]
        for h in headings:
            assert h in dom.stdout, (path.name, h)
        assert not _console_errors(dom.stderr), _console_errors(dom.stderr)
    other = [
        f
        for f in ("Samordningsförbundet Malmö", "Södra Dalarnas Samordningsförbund")
        if f in forbund.read_text(encoding="utf-8")
    ]
    assert not other  # the comparison never names the other förbund
    shot = tmp_path / "forbund.png"
    run = subprocess.run(
        [
            str(CHROMIUM),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'shot'}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            forbund.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and _png_size(shot) == (1280, 2000) and shot.stat().st_size > 50_000, run.stderr[-2000:]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium)")
def test_chromium_console_check_catches_errors(tmp_path):
    """The console check is not vacuous: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>", encoding="utf-8"
    )
    run = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}", "--dump-dom", bad.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert _console_errors(run.stderr), run.stderr[-2000:]
