"""The Uppföljning Finsam workbook on a tiny bi.duckdb built from the marts' contracts (no dbt):
opened again with a reader (fastexcel), every number must be the mart's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import fastexcel
import pytest
import yaml
from typer.testing import CliRunner

from pipelines import settings
from pipelines.cli import app
from pipelines.export.uppfoljning_finsam import (
    INSATS_FIELDS,
    complete_years,
    export_all,
    export_one,
    read_registration,
    read_registrations,
    workbook_path,
)

MARTS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
F, G = "Samordningsförbundet Test/Öst", "Andra förbundet"
D = dt.date


def _columns(mart: str) -> list[tuple[str, str]]:
    model = yaml.safe_load((MARTS_DIR / f"{mart}.yml").read_text(encoding="utf-8"))["models"][0]
    return [(c["name"], c["data_type"]) for c in model["columns"]]


def _create(con, mart: str, rows: list[dict]) -> None:
    cols = _columns(mart)
    con.execute(f"create table marts.{mart} ({', '.join(f'{n} {t}' for n, t in cols)})")
    for row in rows:
        assert set(row) <= {n for n, _ in cols}, set(row) - {n for n, _ in cols}
        con.execute(f"insert into marts.{mart} values ({', '.join('?' for _ in cols)})", [row.get(n) for n, _ in cols])


def _row(forbund, insats, year, **values) -> dict:
    base = {
        "forbund": forbund,
        "insats_id": insats,
        "period_typ": "ar",
        "period_id": year,
        "period_start": D(int(year), 1, 1),
        "period_slut": D(int(year), 12, 31),
        "budget": 0.0,
        "utfall": 0.0,
        "deltagare_kvinnor": 0,
        "deltagare_man": 0,
        "deltagare_okant_kon": 0,
        "deltagare_totalt": 0,
        "anonyma_kvinnor": 0,
        "anonyma_man": 0,
    }
    return base | values


ROWS = [
    _row(
        F,
        "(förbund)",
        "2025",
        insatsnamn="Förbundets administration",
        budget=640000.0,
        utfall=601516.68,
        tilldelade_medel=11420000.0,
    ),
    _row(
        F,
        "SOT-T",
        "2025",
        insatsnamn="Samordningsteam Test",
        inriktning="Samordningsteam",
        malgrupp="Personer med behov av samordnade insatser",
        budgeterat_antal_deltagare=135,
        budget=7429000.0,
        utfall=6494612.5,
        deltagare_kvinnor=61,
        deltagare_man=40,
        deltagare_okant_kon=1,
        deltagare_totalt=102,
        anonyma_kvinnor=11,
        anonyma_man=3,
    ),
    # a register without the optional columns: empty cells
    _row(
        F,
        "IPS-T",
        "2025",
        insatsnamn="IPS Test",
        budget=2697000.0,
        utfall=2429000.0,
        deltagare_kvinnor=9,
        deltagare_man=12,
        deltagare_totalt=21,
    ),
    _row(F, "SOT-T", "2026", insatsnamn="Samordningsteam Test", budget=1.0, deltagare_kvinnor=5, deltagare_totalt=5),
    _row(G, "(förbund)", "2025", insatsnamn="Förbundets administration", budget=100.0, utfall=90.0),
    # an insats registered long before the data: a complete year of zeros, nothing to register
    _row(G, "GAMMAL", "2024", insatsnamn="Gammal insats"),
]


@pytest.fixture()
def bi(tmp_path) -> Path:
    path = tmp_path / "bi.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        _create(con, "uppfoljning_finsam", ROWS)
        _create(
            con,
            "dim_period",
            [
                {
                    "period_typ": "ar",
                    "period_id": "2024",
                    "period_start": D(2024, 1, 1),
                    "period_slut": D(2024, 12, 31),
                    "period_slut_as_of": D(2024, 12, 31),
                    "dagar_i_period": 366,
                    "is_complete": True,
                    "as_of": D(2026, 10, 31),
                },
                {
                    "period_typ": "ar",
                    "period_id": "2025",
                    "period_start": D(2025, 1, 1),
                    "period_slut": D(2025, 12, 31),
                    "period_slut_as_of": D(2025, 12, 31),
                    "dagar_i_period": 365,
                    "is_complete": True,
                    "as_of": D(2026, 10, 31),
                },
                {
                    "period_typ": "ar",
                    "period_id": "2026",
                    "period_start": D(2026, 1, 1),
                    "period_slut": D(2026, 12, 31),
                    "period_slut_as_of": D(2026, 10, 31),
                    "dagar_i_period": 304,
                    "is_complete": False,
                    "as_of": D(2026, 10, 31),
                },
            ],
        )
    return path


def _mart(bi: Path, forbund: str, year: str) -> list[dict]:
    with duckdb.connect(str(bi), read_only=True) as con:
        cur = con.execute(
            "select * from marts.uppfoljning_finsam where forbund = ? and period_id = ? order by insats_id",
            [forbund, year],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_workbook_holds_the_marts_numbers_in_the_registrations_order(bi, tmp_path):
    path = export_one(bi, tmp_path / "out", F, "2025")
    assert path == workbook_path(tmp_path / "out", F, "2025") and path.name == "2025.xlsx"
    assert "/" not in path.parent.name  # the förbund's name made safe as one folder
    book = fastexcel.read_excel(path)
    assert book.sheet_names == ["Förbund", "Insatser"]
    mart = {r["insats_id"]: r for r in _mart(bi, F, "2025")}

    # the sheet's second column mixes text and numbers, so the reader gives it as text
    forbund = {r[0]: r[1] for r in book.load_sheet(0, header_row=None).to_polars().rows() if r[0]}
    assert forbund["Förbund"] == F and float(forbund["År"]) == 2025
    assert float(forbund["Tilldelade medel, kr"]) == pytest.approx(mart["(förbund)"]["tilldelade_medel"], abs=0.005)
    assert float(forbund["Förbundets administration: budget, kr"]) == pytest.approx(
        mart["(förbund)"]["budget"], abs=0.005
    )
    assert float(forbund["Förbundets administration: utfall, kr"]) == pytest.approx(601516.68, abs=0.005)

    insatser = book.load_sheet(1).to_polars()
    assert insatser.columns == [label for label, _, _ in INSATS_FIELDS]
    assert insatser["Insats-ID"].to_list() == ["IPS-T", "SOT-T"]  # one row per insats, not the förbund
    for row in insatser.rows(named=True):
        m = mart[row["Insats-ID"]]
        for label, column, fmt in INSATS_FIELDS:
            if m[column] is None:
                assert row[label] is None, (label, row[label])
            elif fmt is None:
                assert row[label] == m[column], label
            else:  # xlsx stores 15 significant digits: money to half an öre
                assert float(row[label]) == pytest.approx(m[column], abs=0.005), label
    sot = insatser.row(1, named=True)
    assert (
        sot["Deltagare kvinnor"],
        sot["Deltagare män"],
        sot["Deltagare totalt"],
        sot["Budgeterat antal deltagare"],
    ) == (61, 40, 102, 135)
    assert not list(path.parent.glob(".*.tmp"))  # written under a temporary name, renamed into place


def test_every_forbund_and_complete_year_with_figures_only(bi, tmp_path):
    paths = export_all(bi, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in paths) == [
        "Andra_förbundet/2025.xlsx",
        "Samordningsförbundet_Test_Öst/2025.xlsx",
    ]
    # a förbund with only its own row: the insats sheet has the header and nothing else
    other = fastexcel.read_excel(tmp_path / "out" / "Andra_förbundet" / "2025.xlsx")
    assert other.load_sheet(1).to_polars().height == 0
    with pytest.raises(ValueError, match="not complete"):
        export_one(bi, tmp_path / "out", F, "2026")


def test_all_registrations_read_at_once_are_those_read_one_by_one(bi):
    with duckdb.connect(str(bi), read_only=True) as con:
        one_by_one = [read_registration(con, f, y) for f, y in complete_years(con)]
        assert read_registrations(con) == one_by_one
    assert [(r.forbund, r.ar) for r in one_by_one] == [("Andra förbundet", "2025"), (F, "2025")]
    assert all(r.as_of for r in one_by_one) and any(r.insatser for r in one_by_one)


def test_cli_writes_under_the_data_dir(bi, tmp_path, monkeypatch):
    data = bi.parent
    # the CLI pins its settings in the environment; monkeypatch puts them back afterwards
    for name in (settings.ENV_DATA_DIR, settings.ENV_LANDING_DIR, settings.ENV_AS_OF):
        monkeypatch.delenv(name, raising=False)
    done = CliRunner().invoke(
        app, ["export", "uppfoljning-finsam", "--forbund", F, "--ar", "2025", "--data-dir", str(data)]
    )
    assert done.exit_code == 0, done.output
    expected = data / "exports" / "uppfoljning_finsam" / "Samordningsförbundet_Test_Öst" / "2025.xlsx"
    assert done.output.strip() == str(expected.resolve()) and expected.exists()
    done = CliRunner().invoke(
        app, ["export", "uppfoljning-finsam", "--forbund", "Okänt förbund", "--ar", "2025", "--data-dir", str(data)]
    )
    assert done.exit_code == 1 and "no figures" in done.output
