"""The refresh of the demo data writes the Uppföljning Finsam workbook of every förbund and
complete year, and lists them in its summary; a workbook read back holds the mart's numbers."""

from __future__ import annotations

import duckdb
import fastexcel
import pytest

from pipelines.export.uppfoljning_finsam import workbook_path


def test_refresh_writes_a_workbook_per_forbund_and_complete_year(demo_refresh):
    assert demo_refresh.first.returncode == 0, demo_refresh.first.stdout[-3000:]
    out = demo_refresh.data / "exports" / "uppfoljning_finsam"
    with duckdb.connect(str(demo_refresh.data / "bi.duckdb"), read_only=True) as con:
        # complete years with any figure (an insats registered before the data begins has zero years)
        expected = con.execute(
            "select u.forbund, u.period_id from marts.uppfoljning_finsam u "
            "join marts.dim_period p on p.period_typ = 'ar' and p.period_id = u.period_id where p.is_complete "
            "group by all having max(u.budget) > 0 or max(u.utfall) > 0 or max(u.deltagare_totalt) > 0 "
            "or max(u.tilldelade_medel) > 0"
        ).fetchall()
        forbund, year = "Samordningsförbundet Malmö", max(y for f, y in expected if f == "Samordningsförbundet Malmö")
        mart = con.execute(
            "select insats_id, budget, utfall, deltagare_totalt, budgeterat_antal_deltagare, tilldelade_medel "
            "from marts.uppfoljning_finsam where forbund = ? and period_id = ? order by insats_id",
            [forbund, year],
        ).fetchall()
    written = sorted(p.relative_to(out) for p in out.rglob("*.xlsx"))
    assert written == sorted(workbook_path(out, f, y).relative_to(out) for f, y in expected)
    assert len({f for f, _ in expected}) == 3 and "Uppföljning Finsam workbooks" in demo_refresh.first.stdout

    book = fastexcel.read_excel(workbook_path(out, forbund, year))
    insatser = {r["Insats-ID"]: r for r in book.load_sheet("Insatser").to_polars().rows(named=True)}
    sheet = {r[0]: r[1] for r in book.load_sheet("Förbund", header_row=None).to_polars().rows() if r[0]}
    for insats_id, budget, utfall, totalt, budgeterat, tilldelat in mart:
        if insats_id == "(förbund)":
            # the sheet's second column mixes text and numbers, so the reader gives it as text
            assert float(sheet["Tilldelade medel, kr"]) == pytest.approx(tilldelat, abs=0.005) and tilldelat > 0
            assert float(sheet["Förbundets administration: budget, kr"]) == pytest.approx(budget, abs=0.005)
            assert float(sheet["Förbundets administration: utfall, kr"]) == pytest.approx(utfall, abs=0.005)
            continue
        row = insatser[insats_id]
        # xlsx stores 15 significant digits: money to half an öre, counts exactly
        assert row["Budget, kr"] == pytest.approx(budget, abs=0.005) and row["Utfall, kr"] == pytest.approx(
            utfall, abs=0.005
        )
        assert row["Deltagare totalt"] == totalt
        assert row["Budgeterat antal deltagare"] == budgeterat  # None for IPS-MALMO (no årsplatser)
    assert set(insatser) == {i for i, *_ in mart} - {"(förbund)"}
