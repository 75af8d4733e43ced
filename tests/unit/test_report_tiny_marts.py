"""render_report / render_latest on a tiny bi.duckdb built by hand, fast (no dbt).

The tables are created from the marts' own contracts (dbt_project/models/marts/<mart>.yml:
column names and data types), so the fixture follows the contract when it changes. Only the
participant core is there (dim_insats, dim_period, genomflode, resultat): every other section
must be omitted with a short note. The full pipeline is exercised in
tests/integration/test_report_render.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.report import render_latest, render_report, report_path
from pipelines.report.data import BatchReader, MartReader

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MARTS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "marts"
NBSP = "\u00a0"
D = dt.date
F = "Testförbundet"


def contract_columns(mart: str) -> list[tuple[str, str]]:
    spec = yaml.safe_load((MARTS_DIR / f"{mart}.yml").read_text(encoding="utf-8"))
    model = next(m for m in spec["models"] if m["name"] == mart)
    return [(c["name"], c["data_type"]) for c in model["columns"]]


def create_mart(con, mart: str, rows: list[dict]) -> None:
    columns = contract_columns(mart)
    con.execute(f"create table marts.{mart} (" + ", ".join(f'"{n}" {t}' for n, t in columns) + ")")
    numeric = ("bigint", "integer", "double")
    for row in rows:
        unknown = set(row) - {n for n, _ in columns}
        assert not unknown, f"{mart} has no column {unknown}"
        values = [row.get(n, 0 if t in numeric else None) for n, t in columns]
        con.execute(f"insert into marts.{mart} values ({', '.join('?' for _ in columns)})", values)


PERIODS = {  # period_id: (typ, start, slut, complete)
    "2021-H1": ("halvar", D(2021, 1, 1), D(2021, 6, 30), True),
    "2021-H2": ("halvar", D(2021, 7, 1), D(2021, 12, 31), True),
    "2022-H1": ("halvar", D(2022, 1, 1), D(2022, 6, 30), True),
    "2022-H2": ("halvar", D(2022, 7, 1), D(2022, 12, 31), False),
    "2021": ("ar", D(2021, 1, 1), D(2021, 12, 31), True),
    "2022": ("ar", D(2022, 1, 1), D(2022, 12, 31), False),
    **{f"2022-{m:02d}": ("manad", D(2022, m, 1), D(2022, m + 1, 1) - dt.timedelta(days=1), True) for m in range(1, 7)},
}
AS_OF = D(2022, 8, 15)


def flode(insats: str, period_id: str, kon: str, **counts) -> dict:
    typ, start, slut, _ = PERIODS[period_id]
    base = {
        "forbund": F,
        "insats_id": insats,
        "period_typ": typ,
        "period_id": period_id,
        "kon": kon,
        "period_start": start,
        "period_slut": slut,
    }
    return {**base, **counts}


@pytest.fixture(scope="module")
def bi(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "bi.duckdb"
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
                "malutfall": ["arbete", "studier"],
            },
            {
                "forbund": F,
                "insats_id": "TVA",
                "insatsnamn": "Insats två",
                "startdatum": D(2022, 1, 1),
                "arsplatser": 5.0,
                "provotid_dagar": 60,
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
    g = [
        # ETT 2022-H1: women 1 234 new, men 2 (suppressed), unknown sex 4 (so the Okänt column shows)
        flode(
            "ETT",
            "2022-H1",
            "Kvinna",
            inskrivna_vid_periodstart=10,
            nyinskrivna=1234,
            avslutade=20,
            tidiga_avhopp=4,
            avslutade_till_resultat=16,
            inskrivna_vid_periodslut=1224,
            aktiva=1244,
            summa_dagar_avslutade=2000,
        ),
        flode(
            "ETT",
            "2022-H1",
            "Man",
            inskrivna_vid_periodstart=5,
            nyinskrivna=2,
            avslutade=3,
            tidiga_avhopp=0,
            avslutade_till_resultat=3,
            inskrivna_vid_periodslut=4,
            aktiva=7,
            summa_dagar_avslutade=600,
        ),
        flode("ETT", "2022-H1", "Okänt", nyinskrivna=4, inskrivna_vid_periodslut=4, aktiva=4),
        flode("ETT", "2021-H1", "Kvinna", nyinskrivna=7, inskrivna_vid_periodslut=7, aktiva=7),
        flode("ETT", "2021-H1", "Man", nyinskrivna=0),
        flode("ETT", "2021-H2", "Kvinna", nyinskrivna=1),
        flode("ETT", "2021", "Kvinna", nyinskrivna=8),
        flode("ETT", "2022-H2", "Kvinna", nyinskrivna=3),
        flode("TVA", "2022-H1", "Kvinna", nyinskrivna=6, inskrivna_vid_periodslut=6, aktiva=6),
        flode("TVA", "2022-H1", "Man", nyinskrivna=0),
        flode("ETT", "2022-03", "Kvinna", nyinskrivna=1000, avslutade=5, summa_dagar_avslutade=500),
        flode("ETT", "2022-03", "Man", nyinskrivna=1, avslutade=0),
    ]
    create_mart(con, "genomflode", g)
    create_mart(
        con,
        "resultat",
        [
            flode(
                "ETT",
                "2022-H1",
                "Kvinna",
                avslutade_till_resultat=16,
                till_arbete=6,
                till_studier=4,
                till_ovrigt=6,
                i_mal=10,
                andel_i_mal=10 / 16,
                summa_manader_i_mal=120.0,
                genomstromningstid_man=12.0,
                steg_matta=10,
                steg_upp=7,
                steg_ned=1,
                andel_steg_upp=0.7,
            ),
            flode(
                "ETT",
                "2022-H1",
                "Man",
                avslutade_till_resultat=3,
                till_arbete=1,
                till_sjukdom=2,
                i_mal=1,
                andel_i_mal=1 / 3,
                summa_manader_i_mal=30.0,
                genomstromningstid_man=30.0,
            ),
            flode("ETT", "2022-H1", "Okänt"),
        ],
    )
    con.close()
    return path


def test_numbers_format_and_suppression(bi, tmp_path):
    html = render_report(bi, tmp_path, F, "ETT", "2022-H1", 3).read_text(encoding="utf-8")
    assert f'<td class="num">1{NBSP}240</td>' in html  # Totalt nyinskrivna 1 234 + 2 + 4
    assert f'<td class="num">1{NBSP}234</td>' in html
    assert "Kön okänt" in html  # Okänt has counts here, so it gets its row
    assert '<td class="num sup" title="Litet antal: visas inte exakt">&lt;3</td>' in html  # the 2 men
    assert ">2</td>" not in html.split("Tabell 3.")[0].split("Tabell 2.")[1]  # not in the flow table
    # i mål 11 of 19 → 57,9 %; genomströmningstid (120 + 30) / 11 = 13,6; the men's own 30,0 hidden (1 i mål)
    assert f"57,9{NBSP}%" in html
    assert ">13,6</td>" in html and ">30,0</td>" not in html
    assert "Källa: marts.genomflode" in html and "Källa: marts.resultat" in html


def test_missing_marts_are_omitted_with_a_note(bi, tmp_path):
    html = render_report(bi, tmp_path, F, "ETT", "2022-H1", 3).read_text(encoding="utf-8")
    for mart in ("fordelning", "forsorjning", "ekonomi", "aktivitet"):
        assert f"Avsnittet utelämnas: marts.{mart} finns inte i bi.duckdb" in html, mart
    assert "Avsnittet utelämnas: marts.enhetskostnad, marts.samhallsekonomi finns inte i bi.duckdb" in html
    assert "marts.datakvalitet finns inte i bi.duckdb" in html
    assert "http://" not in html and "https://" not in html and "person_id" not in html


def test_monthly_rows_and_forbund_level(bi, tmp_path):
    html = render_report(bi, tmp_path, F, "ETT", "2022-H1", 3).read_text(encoding="utf-8")
    assert "mars 2022" in html and "januari 2022" not in html  # only months with rows
    forbund = render_report(bi, tmp_path, F, None, "2022-H1", 3)
    assert forbund == report_path(tmp_path, F, None, "2022-H1")
    text = forbund.read_text(encoding="utf-8")
    assert f'<td class="num">1{NBSP}246</td>' in text  # 1 240 + 6 from TVA
    assert "Alla insatser: Insats ett (ETT), Insats två (TVA)" in text


def test_comparison_period_and_incomplete_period(bi, tmp_path):
    html = render_report(bi, tmp_path, F, "ETT", "2022-H1", 3).read_text(encoding="utf-8")
    assert "Totalt 2021-H1" in html and "2021-H1 (samma period föregående år)" in html
    h2 = render_report(bi, tmp_path, F, "ETT", "2022-H2", 3).read_text(encoding="utf-8")
    assert "Perioden är inte avslutad" in h2 and "2022-08-15" in h2
    early = render_report(bi, tmp_path, F, "TVA", "2021-H1", 3).read_text(encoding="utf-8")
    assert "hade ingen verksamhet under perioden" in early


def test_bad_input(bi, tmp_path):
    with pytest.raises(ValueError, match=r"förbund 'X' is not in marts\.dim_insats"):
        render_report(bi, tmp_path, "X", None, "2022-H1", 3)
    with pytest.raises(ValueError, match="insats 'NOPE' is not registered"):
        render_report(bi, tmp_path, F, "NOPE", "2022-H1", 3)
    with pytest.raises(ValueError, match=r"period '2022-H3' is not in marts\.dim_period"):
        render_report(bi, tmp_path, F, "ETT", "2022-H3", 3)
    with pytest.raises(FileNotFoundError, match="finsam refresh"):
        render_report(tmp_path / "missing.duckdb", tmp_path, F, "ETT", "2022-H1", 3)


def test_render_latest_takes_complete_periods_the_insats_ran_in(bi, tmp_path):
    paths = render_latest(bi, tmp_path, 3)
    # ETT: 2022-H1 (2022-H2 is incomplete) and 2021; TVA: 2022-H1 only (no complete year with rows);
    # the förbund: its latest complete half-year and year
    assert paths == [
        report_path(tmp_path, F, "ETT", "2022-H1"),
        report_path(tmp_path, F, "ETT", "2021"),
        report_path(tmp_path, F, "TVA", "2022-H1"),
        report_path(tmp_path, F, None, "2021"),
        report_path(tmp_path, F, None, "2022-H1"),
    ]
    assert render_latest(bi, tmp_path / "only", 3, forbund_level=False) == [
        report_path(tmp_path / "only", F, i, p) for i, p in (("ETT", "2022-H1"), ("ETT", "2021"), ("TVA", "2022-H1"))
    ]


# --------------------------------------------------------------------------------------------
# Many reports: one read per batch, worker processes
# --------------------------------------------------------------------------------------------

F2 = "Andra förbundet"


@pytest.fixture(scope="module")
def bi_two(bi, tmp_path_factory) -> Path:
    """The tiny marts with a second förbund (a copy of the first under another name)."""
    path = tmp_path_factory.mktemp("two") / "bi.duckdb"
    shutil.copyfile(bi, path)
    con = duckdb.connect(str(path))
    for mart in ("dim_insats", "genomflode", "resultat"):
        con.execute(f"insert into marts.{mart} select * replace ('{F2}' as forbund) from marts.{mart}")
    con.close()
    return path


@pytest.mark.parametrize("small_rows", [100_000, 0], ids=["small-marts-whole", "every-mart-big"])
def test_batch_reader_answers_as_mart_reader(bi_two, monkeypatch, small_rows):
    monkeypatch.setattr("pipelines.report.data.SMALL_MART_ROWS", small_rows)
    questions = [
        (
            "genomflode",
            {"forbund": F, "insats_id": ["ETT", "TVA"], "period_typ": "halvar", "period_id": "2022-H1"},
            None,
        ),
        (
            "genomflode",
            {"forbund": F, "insats_id": ["ETT"], "period_typ": "manad", "period_id": ["2022-03", "2022-04"]},
            None,
        ),
        (
            "genomflode",
            {"forbund": F2, "period_typ": "halvar", "period_id": ["2021-H1", "2022-H1"], "kon": "Man"},
            None,
        ),
        ("resultat", {"forbund": F, "insats_id": "ETT", "period_typ": "halvar", "period_id": "2022-H1"}, None),
        # not read for the batch: another period, no period, a förbund outside the batch
        ("genomflode", {"forbund": F, "insats_id": "ETT", "period_typ": "halvar", "period_id": "2022-H2"}, None),
        ("genomflode", {"forbund": F, "period_typ": "ar"}, None),
        ("genomflode", {"forbund": "Okänt förbund", "period_typ": "halvar", "period_id": "2022-H1"}, None),
        # small marts, read whole
        ("dim_insats", {"forbund": F2}, "insats_id"),
        ("dim_insats", None, "forbund, insats_id"),
        ("dim_period", {"period_typ": "manad"}, "period_start"),
        ("dim_period", {"period_typ": "halvar", "is_complete": True}, None),
        ("dim_period", {"period_id": []}, None),
    ]
    key = lambda r: sorted(r.items())  # noqa: E731  (rows without order_by come in any order)
    with MartReader.open(bi_two) as plain, BatchReader.open(bi_two, [F, F2]) as batch:
        batch.expect("halvar", ["2022-H1", "2021-H1"])
        batch.expect("manad", ["2022-03", "2022-04"])
        for mart, where, order_by in questions:
            want, got = plain.select(mart, where, order_by), batch.select(mart, where, order_by)
            if order_by is None:
                want, got = sorted(want, key=key), sorted(got, key=key)
            assert got == want, (mart, where)
        assert len(batch.select("genomflode", questions[0][1])) == 5  # ETT 3 kon + TVA 2
        assert set(batch._facts) == {("genomflode", "halvar"), ("genomflode", "manad"), ("resultat", "halvar")}
        assert bool(batch._memo) == (small_rows > 0)  # small marts' answers are remembered
        with pytest.raises(KeyError, match="no column nope"):
            batch.select("genomflode", {"nope": 1})


def test_parallel_rendering_writes_the_same_files_as_serial(bi_two, tmp_path):
    serial = render_latest(bi_two, tmp_path / "serial", 3, workers=1)
    parallel = render_latest(bi_two, tmp_path / "parallel", 3, workers=2)
    rel = [p.relative_to(tmp_path / "serial") for p in serial]
    assert rel == [p.relative_to(tmp_path / "parallel") for p in parallel]  # the same order too
    assert len(rel) == 10 and {r.parts[0] for r in rel} == {"Testförbundet", "Andra_förbundet"}
    created = re.compile(r"<dt>Skapad</dt><dd>[^<]*</dd>")  # the minute it was made may differ
    for r in rel:
        a = (tmp_path / "serial" / r).read_text(encoding="utf-8")
        b = (tmp_path / "parallel" / r).read_text(encoding="utf-8")
        assert created.sub("", a) == created.sub("", b), r
    # the order is the plan's: insatser by förbund, then the förbund reports
    assert [r.parts[1] for r in rel] == ["ETT", "ETT", "TVA"] * 2 + ["_forbund"] * 4
