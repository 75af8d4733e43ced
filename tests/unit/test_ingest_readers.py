"""Readers: encoding, delimiter, preamble, total row, Excel cells, line numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.ingest.readers import ReadError, read_file
from pipelines.sources.spec import load_specs

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SPECS = load_specs()


def cells(result, column_index: int) -> list[str | None]:
    return result.frame.get_column(f"c{column_index}").to_list()


@pytest.mark.parametrize(
    ("file_name", "kind", "rows", "encoding", "delimiter", "first_header"),
    [
        ("budget_2018.csv", "budget", 5, "utf-8", ";", "År"),
        ("finansiering_2018.csv", "finansiering", 5, "utf-8", ";", "År"),
        ("insatser_2022-08-01.csv", "insatser", 3, "utf-8", ";", "Förbund"),
        ("ledger_2018.csv", "ledger", 6, "cp1252", ";", "Period"),
        ("procapita_aktiviteter_2020-01-10.csv", "procapita_aktiviteter", 6, "cp1252", ";", "Personnummer"),
        ("procapita_ekonomiskt_bistand_2022-07.txt", "procapita_ekonomiskt_bistand", 6, "utf-8", "\t", "Ar"),
        ("procapita_narvaro_2019.csv", "procapita_narvaro", 6, "cp1252", ";", "Personnummer"),
        ("stegmatning_2022-08-05.csv", "stegmatning", 6, "utf-8", ";", "Personnummer"),
        ("sus_anonyma_2022-08-10.csv", "sus_anonyma", 2, "utf-8", ";", "År"),
        ("sus_deltagare_avesta_2019-01-31.csv", "sus_deltagare", 6, "cp1252", ";", "Förbund"),
        ("sus_deltagare_malmo_2020-01-15.csv", "sus_deltagare", 6, "utf-8-sig", ",", "Förbund"),
    ],
)
def test_every_csv_sample_reads(file_name, kind, rows, encoding, delimiter, first_header):
    result = read_file(SAMPLES / file_name, SPECS[kind])
    assert result.frame.height == rows
    assert result.encoding == encoding
    assert result.delimiter == delimiter
    assert result.headers[0] == first_header  # no BOM, å ä ö intact
    assert result.header_row == 1
    assert result.frame.get_column("_row_number").to_list() == list(range(2, rows + 2))
    assert all(dtype == pl.String for name, dtype in result.frame.schema.items() if name != "_row_number")


def test_cp1252_and_utf8_bom_keep_swedish_letters():
    avesta = read_file(SAMPLES / "sus_deltagare_avesta_2019-01-31.csv", SPECS["sus_deltagare"])
    assert avesta.headers[8] == "Sysselsättning efter"
    assert cells(avesta, 0)[0] == "Södra Dalarnas Samordningsförbund"
    assert cells(avesta, 11)[0] == "Upp till 3 år"
    malmo = read_file(SAMPLES / "sus_deltagare_malmo_2020-01-15.csv", SPECS["sus_deltagare"])
    assert malmo.headers[12] == "Utbildningsnivå"
    assert cells(malmo, 0)[0] == "Samordningsförbundet Malmö"
    assert cells(malmo, 13)[0] == "Arbetsförmedlingen"
    ledger = read_file(SAMPLES / "ledger_2018.csv", SPECS["ledger"])
    assert ledger.headers[5] == "Kontobenämning"
    assert cells(ledger, 5)[0] == "Månadslön"
    assert cells(ledger, 7)[0] == "94 448,35"  # typed later by parse


def test_xlsx_sample_skips_preamble_and_total_row_and_reads_exekvering():
    result = read_file(SAMPLES / "sus_deltagare_2022-08-10.xlsx", SPECS["sus_deltagare"])
    assert result.exported_at == dt.datetime(2022, 8, 10, 11, 15, 53)
    assert result.header_row == 4
    assert result.headers[:4] == ["Förbund", "Insats-ID", "Insatsnamn", "Personnummer"]
    assert result.frame.height == 6
    assert result.frame.get_column("_row_number").to_list() == [5, 6, 7, 8, 9, 10]  # Excel rows
    assert "Slutsumma" not in cells(result, 0)
    assert cells(result, 0)[0] == "Samordningsförbundet Västerås"
    assert cells(result, 9)[0] == "Försörjningsstöd, Sjukpenning/Rehabpenning"


def test_csv_preamble_blank_lines_quotes_and_total_row_keep_line_numbers(tmp_path):
    text = (
        "Budgetrapport 2018\r\n"
        "Exekvering: 2019-01-15 08:30:00\r\n"
        "\r\n"
        "År;Förbund;Insats-ID;Kostnadsslag;Belopp\r\n"  # line 4
        "2018;Förbund A;X-1;Lokaler;1 000\r\n"  # line 5
        "\r\n"  # line 6 (blank)
        '2018;"Förbund\r\nmed radbrytning";X-1;Lokaler;2 000\r\n'  # lines 7-8
        "2018;Förbund A;X-2;Lokaler;3 000\r\n"  # line 9
        "Slutsumma;;;;6 000\r\n"  # line 10
        "\r\n"
    )
    path = tmp_path / "budget_2018.csv"
    path.write_bytes(text.encode("cp1252"))
    result = read_file(path, SPECS["budget"])
    assert result.header_row == 4
    assert result.exported_at == dt.datetime(2019, 1, 15, 8, 30)
    assert result.frame.get_column("_row_number").to_list() == [5, 7, 9]
    assert cells(result, 4) == ["1 000", "2 000", "3 000"]
    assert cells(result, 1)[1] == "Förbund\r\nmed radbrytning"


def test_tab_separated_utf8_bom_and_unknown_columns(tmp_path):
    path = tmp_path / "sus_anonyma_2022.txt"
    path.write_bytes(
        "\ufeffÅr\tFörbund\tInsats-ID\tKommentar\tKvinnor\tMän\n2022\tFörbund Ö\tX-1\tfri text\t3\t4\n".encode("utf-8")
    )
    result = read_file(path, SPECS["sus_anonyma"])
    assert result.delimiter == "\t"
    assert result.encoding == "utf-8-sig"
    assert result.headers == ["År", "Förbund", "Insats-ID", "Kommentar", "Kvinnor", "Män"]
    assert result.frame.select([f"c{i}" for i in range(6)]).row(0) == ("2022", "Förbund Ö", "X-1", "fri text", "3", "4")


def test_cp1252_only_characters_decode(tmp_path):
    path = tmp_path / "finansiering_2018.csv"
    path.write_bytes("År;Förbund;Finansiär;Belopp\n2018;Förbund – Öst;Region “Mitt”;5\n".encode("cp1252"))
    result = read_file(path, SPECS["finansiering"])
    assert result.encoding == "cp1252"
    assert cells(result, 1) == ["Förbund – Öst"]
    assert cells(result, 2) == ["Region “Mitt”"]


def test_utf8_file_with_non_ascii_only_late_in_the_file(tmp_path):
    rows = "".join(f"2018;F;K{i};1\n" for i in range(5000))
    path = tmp_path / "finansiering_2018.csv"
    path.write_bytes(("År;Förbund;Finansiär;Belopp\n" + rows + "2018;F;Kommun Å;1\n").encode("utf-8"))
    result = read_file(path, SPECS["finansiering"])
    assert result.encoding == "utf-8"
    assert cells(result, 2)[-1] == "Kommun Å"


def test_comma_separated_file_with_quoted_code_list(tmp_path):
    path = tmp_path / "insatser_2022.csv"
    path.write_text('Förbund,Insats-ID,Startdatum,Målutfall\nF,X-1,2020-01-01,"arbete, studier"\n', encoding="utf-8")
    result = read_file(path, SPECS["insatser"])
    assert result.delimiter == ","
    assert cells(result, 3) == ["arbete, studier"]


def test_row_with_more_fields_than_the_header_is_kept_for_parse_to_report(tmp_path):
    path = tmp_path / "finansiering_2018.csv"
    path.write_text("År;Förbund;Finansiär;Belopp\n2018;F;K;1\n2018;F;K;1;extra\n2018;F;K;1;\n", encoding="utf-8")
    result = read_file(path, SPECS["finansiering"])
    assert result.frame.get_column("__extra_0").to_list() == [None, "extra", None]


def test_no_header_row_is_a_read_error(tmp_path):
    path = tmp_path / "budget_2018.csv"
    path.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    with pytest.raises(ReadError, match="hittar ingen rubrikrad"):
        read_file(path, SPECS["budget"])
    empty = tmp_path / "budget_2019.csv"
    empty.write_bytes(b"")
    with pytest.raises(ReadError, match="tom"):
        read_file(empty, SPECS["budget"])


def write_xlsx(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Rapport")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    # Rows 1-2 empty, data from column B: Excel row numbers must still be right.
    ws.write(2, 1, "Insatsregister")
    ws.write(3, 1, "Exekvering: 2023-02-01 07:05:00")
    ws.write_row(5, 1, ["Förbund", "Insats-ID", "Startdatum", "Slutdatum", "Årsplatser", "Provotid dagar"])
    ws.write_row(6, 1, ["Förbund Å", "X-1"])
    ws.write_datetime(6, 3, dt.datetime(2022, 1, 31), date_fmt)  # a date cell
    ws.write_number(6, 4, 44957)  # a serial number without date format (2023-01-31)
    ws.write_number(6, 5, 12.5)
    ws.write_number(6, 6, 90)
    ws.write_row(7, 1, ["Förbund Ä", "X-2", "2021-03-01"])
    ws.write(8, 1, "Totalt")
    wb.close()


def test_xlsx_date_cells_serials_and_excel_row_numbers(tmp_path):
    path = tmp_path / "insatser_2023-02-01.xlsx"
    write_xlsx(path)
    result = read_file(path, SPECS["insatser"])
    assert result.sheet == "Rapport"
    assert result.header_row == 6
    assert result.exported_at == dt.datetime(2023, 2, 1, 7, 5)
    assert result.frame.get_column("_row_number").to_list() == [7, 8]
    assert result.headers[0] == "Förbund"
    assert cells(result, 2) == ["2022-01-31", "2021-03-01"]  # date cell -> ISO date
    assert cells(result, 3) == ["44957", None]  # serial: parse turns it into a date
    assert cells(result, 4) == ["12.5", None]
    assert cells(result, 5) == ["90", None]
