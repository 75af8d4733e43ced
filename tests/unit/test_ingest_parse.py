"""Parse: header aliases, typing, and every validation rule with file, row, column and value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.discovery import discover
from pipelines.ingest.load import export_date_of
from pipelines.ingest.parse import MAX_ERRORS, ParseContext, ParseResult, parse_frame
from pipelines.ingest.personnummer import pseudonym
from pipelines.ingest.readers import read_file
from pipelines.sources.spec import load_specs

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SPECS = load_specs()
REFRESH = dt.date(2026, 11, 23)
KEY = b"parse-test-key"


def check_digit(nine: str) -> str:
    digits = [int(c) * (2 - i % 2) for i, c in enumerate(nine)]
    return str((10 - sum(d // 10 + d % 10 for d in digits) % 10) % 10)


def pnr(yyyymmdd: str, serial: str = "123") -> str:
    nine = yyyymmdd[2:] + serial
    return yyyymmdd[:2] + nine[:6] + "-" + nine[6:] + check_digit(nine)


P1, P2 = pnr("19850221", "484"), pnr("19900611", "273")
BAD_PNR = P1[:-1] + str((int(P1[-1]) + 1) % 10)  # wrong check digit


def parse(path: Path, kind: str, *, registered: set[str] | None = None, refresh: dt.date = REFRESH) -> ParseResult:
    spec = SPECS[kind]
    landing = next(f for f in discover(path.parent, kind, SPECS) if f.path == path)
    read = read_file(path, spec)
    export_date, source = export_date_of(landing, read.exported_at, refresh)
    ctx = ParseContext(
        file_name=path.name,
        export_date=export_date,
        export_date_source=source,
        refresh_day=refresh,
        key=KEY,
        registered_insats_ids=None if registered is None else frozenset(registered),
    )
    return parse_frame(read, spec, ctx)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def messages(result: ParseResult) -> list[str]:
    return [str(e) for e in result.errors]


SUS_HEADER = (
    "Förbund;Insats-ID;Insatsnamn;Personnummer;Kön;Startdatum;Slutdatum;Avslutsanledning;"
    "Sysselsättning efter;Försörjning före;Försörjning efter;Tid i offentlig försörjning;"
    "Utbildningsnivå;Remittent\n"
)


def sus_row(**overrides: str) -> str:
    row = {
        "forbund": "Förbund A",
        "insats_id": "X-1",
        "namn": "Team",
        "pnr": P1,
        "kon": "Kvinna",
        "start": "2021-03-01",
        "slut": "2021-09-30",
        "avslut": "Utskrivning",
        "syss": "Arbete",
        "fore": "Försörjningsstöd",
        "efter": "Ingen offentlig försörjning",
        "tid": "Upp till 3 år",
        "utb": "Gymnasium",
        "rem": "Socialtjänsten",
    }
    row.update(overrides)
    return ";".join(row.values()) + "\n"


# --- typing ------------------------------------------------------------------------------------


def test_ledger_sample_decimal_comma_space_thousands_and_yearmonth():
    result = parse(SAMPLES / "ledger_2018.csv", "ledger")
    assert result.ok, messages(result)
    frame = result.frame
    assert frame.schema["belopp"] == pl.Float64 and frame.schema["konto"] == pl.Int64
    assert frame["belopp"].to_list() == [94448.35, 33184.55, 10810.50, 7955.82, 5637.21, 10310.50]
    assert frame["period"][0] == dt.date(2018, 10, 1)
    assert frame["_period_month"].to_list() == frame["period"].to_list()
    assert frame["konto"].to_list() == [5110, 5410, 6420, 4010, 7010, 6420]
    assert frame["kontobenamning"][0] == "Månadslön"
    assert frame["forbund"].null_count() == 6  # optional column absent -> null


def test_numbers_with_nbsp_narrow_nbsp_unicode_minus_and_decimal_point(tmp_path):
    path = write(
        tmp_path,
        "ledger_2019.csv",
        "Period;Konto;Belopp;Projekt\n"
        "201901;5110;1\u00a0234,50;\n"
        "201902;5110;1\u202f000;\n"
        "201903;5110;-2 500,75;\n"
        "201904;5110;\u2212300;\n"
        "201905;5110;12.25;\n",
    )
    result = parse(path, "ledger")
    assert result.ok, messages(result)
    assert result.frame["belopp"].to_list() == [1234.5, 1000.0, -2500.75, -300.0, 12.25]
    assert result.frame["_period_month"].to_list() == [dt.date(2019, m, 1) for m in range(1, 6)]


def test_ekonomiskt_bistand_sample_types_pseudonyms_and_month(tmp_path):
    result = parse(SAMPLES / "procapita_ekonomiskt_bistand_2022-07.txt", "procapita_ekonomiskt_bistand")
    assert result.ok, messages(result)
    f = result.frame
    assert f["manad"].to_list() == [1, 2, 3, 4, 5, 6]
    assert f["kommun"][0] == "1980" and f["distrikt"][0] == "01"
    assert f["sbel"][1] == 11749.0
    assert f["person_id_1"][0] == pseudonym("198502214847", KEY)
    assert f["fodelsedatum_1"][0] == dt.date(1985, 2, 21)
    assert f["kon_personnummer_1"][0] == "Kvinna"
    assert f["person_id_2"].null_count() == 6
    assert f["_period_month"].to_list() == [dt.date(2021, m, 1) for m in range(1, 7)]
    assert "personnr1" not in f.columns


def test_alias_headers_inskrivningsdatum_and_upper_case(tmp_path):
    steg = write(
        tmp_path,
        "stegmatning_2022-08-05.csv",
        f"PERSONNR;Insats id;Inskrivningsdatum;Mätning;Stegnivå\n{P1};X-1;2022-01-31;start;Kom i jobb\n"
        f"{P2};X-1;20220115;Avslut;4\n",
    )
    result = parse(steg, "stegmatning")
    assert result.ok, messages(result)
    result.frame = result.frame.sort("_row_number")  # rows come clustered by person
    assert result.frame["startdatum"].to_list() == [dt.date(2022, 1, 31), dt.date(2022, 1, 15)]
    assert result.frame["steg"].to_list() == [3, 4]
    assert result.frame["mattillfalle"].to_list() == ["start", "Avslut"]  # file's text kept

    sus = write(
        tmp_path,
        "sus_deltagare_2022-01-01.csv",
        "Samordningsförbund;InsatsID;Personnummer;Inskrivningsdatum;FÖRSÖRJNING FÖRE\n"
        f"F;X-1;{P1};2021-05-01;A-kassa, Sjukpenning/Rehabpenning\n",
    )
    result = parse(sus, "sus_deltagare")
    assert result.ok, messages(result)
    assert result.frame["startdatum"][0] == dt.date(2021, 5, 1)
    assert result.frame["forsorjning_fore"][0] == "A-kassa, Sjukpenning/Rehabpenning"


def test_xlsx_sample_parses_with_sexes_and_birth_dates():
    result = parse(SAMPLES / "sus_deltagare_2022-08-10.xlsx", "sus_deltagare", registered={"SOT-VAS"})
    assert result.ok, messages(result)
    f = result.frame
    assert f.height == 6
    # Rows come clustered by pseudonym (DuckDB compresses them far better); _row_number keeps
    # the file order.
    assert f["person_id"].to_list() == sorted(f["person_id"].to_list())
    f = f.sort("_row_number")
    assert f["_row_number"].to_list() == [5, 6, 7, 8, 9, 10]
    assert f["startdatum"][0] == dt.date(2022, 1, 31)
    assert f["kon_personnummer"].to_list() == ["Kvinna", "Kvinna", "Man", "Man", "Man", "Kvinna"]
    assert f["kon"].to_list() == f["kon_personnummer"].to_list()
    assert f["utbildningsniva"][3] == "Högskola/Universitet mer än 3 år"  # case differs from the seed: ok


def test_whitespace_only_rows_are_blank_rows(tmp_path):
    path = write(
        tmp_path, "finansiering_2018.csv", "År;Förbund;Finansiär;Belopp\n2018;F;K;1\n  ; \t;;\n2018;F;L;2\n \n"
    )
    result = parse(path, "finansiering")
    assert result.ok, messages(result)
    assert result.frame["_row_number"].to_list() == [2, 4]
    assert result.frame["finansiar"].to_list() == ["K", "L"]


def test_defaults_excel_serial_dates_and_code_list(tmp_path):
    path = write(
        tmp_path,
        "insatser_2022-08-01.csv",
        "Förbund;Insats-ID;Startdatum;Slutdatum\nF;X-1;44562;\nF;X-2;2020-01-01;2022-01-01 00:00:00\n",
    )
    result = parse(path, "insatser")
    assert result.ok, messages(result)
    f = result.frame
    assert f["startdatum"].to_list() == [dt.date(2022, 1, 1), dt.date(2020, 1, 1)]
    assert f["slutdatum"].to_list() == [None, dt.date(2022, 1, 1)]
    assert f["provotid_dagar"].to_list() == [90, 90]
    assert f["malutfall"].to_list() == ["arbete, studier, arbetslivsinriktad_rehab"] * 2


# --- errors: file, row, column and value ------------------------------------------------------


def test_unknown_code_names_file_row_column_and_value(tmp_path):
    path = write(tmp_path, "sus_deltagare_2022-01-01.csv", SUS_HEADER + sus_row() + sus_row(kon="Okänt"))
    result = parse(path, "sus_deltagare")
    assert result.error_count == 1
    (msg,) = messages(result)
    assert msg.startswith('sus_deltagare_2022-01-01.csv, rad 3, kolumn "Kön": okänd kod')
    assert '(värde: "Okänt")' in msg and "Kvinna, Man" in msg


def test_bad_date_and_code_list_item(tmp_path):
    path = write(
        tmp_path,
        "sus_deltagare_2022-01-01.csv",
        SUS_HEADER + sus_row(start="2021-02-30") + sus_row(fore="A-kassa, Lön"),
    )
    result = parse(path, "sus_deltagare")
    assert messages(result) == [
        (
            'sus_deltagare_2022-01-01.csv, rad 2, kolumn "Startdatum": ogiltigt datum '
            '(väntade ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller ett Excel-datum) (värde: "2021-02-30")'
        ),
        'sus_deltagare_2022-01-01.csv, rad 3, kolumn "Försörjning före": okänd kod i listan '
        "(kommaseparerad; kodlista forsorjning: "
        + ", ".join(SPECS["sus_deltagare"].column("forsorjning_fore").codes)
        + ') (värde: "A-kassa, Lön")',
    ]


def test_invalid_personnummer_message_never_contains_the_number(tmp_path):
    path = write(tmp_path, "sus_deltagare_2022-01-01.csv", SUS_HEADER + sus_row() + sus_row(pnr=BAD_PNR))
    result = parse(path, "sus_deltagare")
    (msg,) = messages(result)
    assert msg == ('sus_deltagare_2022-01-01.csv, rad 3, kolumn "Personnummer": ogiltigt personnummer (kontrollsiffra)')
    for fragment in (BAD_PNR, BAD_PNR.replace("-", ""), BAD_PNR[2:], BAD_PNR[2:8], BAD_PNR[-4:]):
        assert fragment not in msg


def test_personnummer_in_a_wrong_column_is_redacted(tmp_path):
    path = write(tmp_path, "sus_deltagare_2022-01-01.csv", SUS_HEADER + sus_row(kon=P2))
    (msg,) = messages(parse(path, "sus_deltagare"))
    assert 'kolumn "Kön"' in msg and P2 not in msg and P2[2:8] not in msg
    assert "[dolt personnummer]" in msg


def test_missing_required_column_names_the_column(tmp_path):
    path = write(tmp_path, "sus_deltagare_2022-01-01.csv", f"Förbund;Insats-ID;Personnummer\nF;X-1;{P1}\n")
    result = parse(path, "sus_deltagare")
    assert result.frame is None
    (msg,) = messages(result)
    assert msg.startswith('sus_deltagare_2022-01-01.csv, kolumn "Startdatum": obligatorisk kolumn "Startdatum"')
    assert "Inskrivningsdatum" in msg  # tells the user which aliases are accepted


def test_date_after_export_date_from_name_and_from_exekvering(tmp_path):
    path = write(tmp_path, "sus_deltagare_2021-06-30.csv", SUS_HEADER + sus_row(start="2021-03-01", slut="2021-07-01"))
    (msg,) = messages(parse(path, "sus_deltagare"))
    assert msg == (
        'sus_deltagare_2021-06-30.csv, rad 2, kolumn "Slutdatum": datumet är efter filens exportdatum '
        '2021-06-30 (från filnamnet) (värde: "2021-07-01")'
    )
    # Only a year in the name: the Exekvering stamp is the export date.
    stamped = write(
        tmp_path,
        "procapita_narvaro_2021.csv",
        "Närvarorapport\nExekvering: 2021-05-31 23:00:00\nPersonnummer;Aktivitet;Datum;Planerade timmar;Närvarotimmar\n"
        f"{P1};Arbetsträning;2021-05-31;5;5\n{P1};Arbetsträning;2021-06-01;5;5\n",
    )
    (msg,) = messages(parse(stamped, "procapita_narvaro"))
    assert msg.startswith(
        'procapita_narvaro_2021.csv, rad 5, kolumn "Datum": datumet är efter filens exportdatum 2021-05-31'
    )
    # Neither: the refresh day.
    plain = write(
        tmp_path,
        "procapita_narvaro.csv",
        f"Personnummer;Aktivitet;Datum;Planerade timmar;Närvarotimmar\n{P1};A;2026-11-24;5;5\n",
    )
    (msg,) = messages(parse(plain, "procapita_narvaro"))
    assert "2026-11-23 (uppdateringsdagen" in msg and "rad 2" in msg


def test_slutdatum_before_startdatum(tmp_path):
    path = write(tmp_path, "sus_deltagare_2022-01-01.csv", SUS_HEADER + sus_row(start="2021-05-01", slut="2021-04-30"))
    (msg,) = messages(parse(path, "sus_deltagare"))
    assert msg == (
        'sus_deltagare_2022-01-01.csv, rad 2, kolumn "Slutdatum": Slutdatum är före Startdatum '
        '(värde: "2021-04-30 (Startdatum: 2021-05-01)")'
    )


def test_narvaro_overtime_beyond_planned_plus_two(tmp_path):
    path = write(
        tmp_path,
        "procapita_narvaro_2021-12-31.csv",
        "Personnummer;Aktivitet;Datum;Planerade timmar;Närvarotimmar;Frånvaroorsak\n"
        f"{P1};Arbetsträning;2021-05-03;5,0;7,0;\n"
        f"{P1};Arbetsträning;2021-05-04;5,0;7,5;\n"
        f"{P2};Arbetsträning;2021-05-04;5,0;0,0;sjuk\n",
    )
    result = parse(path, "procapita_narvaro")
    assert messages(result) == [
        (
            'procapita_narvaro_2021-12-31.csv, rad 3, kolumn "Närvarotimmar": Närvarotimmar är mer än '
            'Planerade timmar + 2 (värde: "7,5 (Planerade timmar: 5,0)")'
        )
    ]


def test_unregistered_insats_id(tmp_path):
    path = write(tmp_path, "sus_deltagare_2022-01-01.csv", SUS_HEADER + sus_row() + sus_row(insats_id="OKÄND-1"))
    result = parse(path, "sus_deltagare", registered={"X-1"})
    (msg,) = messages(result)
    assert msg == (
        'sus_deltagare_2022-01-01.csv, rad 3, kolumn "Insats-ID": Insats-ID finns inte i insatsregistret '
        '(raw.insatser) (värde: "OKÄND-1")'
    )
    assert parse(path, "sus_deltagare", registered=None).ok  # None = the check is skipped


def test_ledger_konto_range_pattern_and_yearmonth(tmp_path):
    path = write(
        tmp_path,
        "ledger_2018.csv",
        "Period;Konto;Belopp;Projekt\n201813;5110;1;\n201812;9100;1;\n201812;51x0;1;\n209901;5110;1;\n",
    )
    result = parse(path, "ledger")
    msgs = messages(result)
    assert [m.split(": ", 1)[0] for m in msgs] == [
        'ledger_2018.csv, rad 2, kolumn "Period"',
        'ledger_2018.csv, rad 3, kolumn "Konto"',
        'ledger_2018.csv, rad 4, kolumn "Konto"',
        'ledger_2018.csv, rad 5, kolumn "Period"',
    ]
    assert "ogiltig period" in msgs[0] and "större än 8999" in msgs[1] and "ogiltigt heltal" in msgs[2]
    assert "efter filens exportdatum" in msgs[3]

    bistand = write(
        tmp_path,
        "procapita_ekonomiskt_bistand_2022-07.txt",
        "Ar\tManad\tKommun\tPersonnr1\tSbel\n2021\t13\t198\t" + P1.replace("-", "") + "\t100\n",
    )
    msgs = messages(parse(bistand, "procapita_ekonomiskt_bistand"))
    assert any('kolumn "Manad": värdet är större än 12' in m for m in msgs)
    assert any('kolumn "Kommun": värdet har fel form' in m and '"198"' in m for m in msgs)


def test_steg_required_values_and_extra_fields(tmp_path):
    path = write(
        tmp_path,
        "stegmatning_2022-08-05.csv",
        f"Personnummer;Insats-ID;Startdatum;Mättillfälle;Steg\n{P1};X-1;2022-01-31;Start;Steg 9\n"
        f"{P1};;2022-01-31;Start;1\n{P1};X-1;2022-01-31;Start;1;överflödigt\n",
    )
    msgs = messages(parse(path, "stegmatning"))
    assert msgs[0].startswith(
        'stegmatning_2022-08-05.csv, rad 2, kolumn "Steg": ogiltigt steg (väntade 1–4 eller Introduktion'
    )
    assert msgs[1] == 'stegmatning_2022-08-05.csv, rad 3, kolumn "Insats-ID": värde saknas (obligatorisk kolumn)'
    assert msgs[2].startswith("stegmatning_2022-08-05.csv, rad 4: raden har fler fält än rubrikraden")


def test_duplicate_column_through_alias(tmp_path):
    path = write(
        tmp_path,
        "stegmatning_2022-08-05.csv",
        "Personnummer;Insats-ID;Startdatum;Inskrivningsdatum;Mättillfälle;Steg\n",
    )
    (msg,) = messages(parse(path, "stegmatning"))
    assert 'kolumnen Startdatum förekommer två gånger ("Startdatum" och "Inskrivningsdatum")' in msg


def test_errors_are_capped_with_a_total_count(tmp_path):
    rows = "".join(sus_row(kon="X") for _ in range(120))
    result = parse(write(tmp_path, "sus_deltagare_2022-01-01.csv", SUS_HEADER + rows), "sus_deltagare")
    assert result.error_count == 120
    assert len(result.errors) == MAX_ERRORS
    assert [e.row for e in result.errors] == list(range(2, 2 + MAX_ERRORS))
    assert result.summary == [("Kön", result.errors[0].problem, 120)]


@pytest.mark.parametrize("kind_file", sorted(p.name for p in SAMPLES.iterdir()))
def test_every_sample_parses_without_errors(kind_file):
    kind = next(k for k in sorted(SPECS, key=len, reverse=True) if kind_file.startswith(k + "_"))
    result = parse(SAMPLES / kind_file, kind, registered={"SOT-VAS", "SAMV-AVESTA", "AC-MALMO"})
    assert result.ok, messages(result)
    raw_names = [n for n, _ in SPECS[kind].raw_schema()]
    assert result.frame.columns == [n for n in raw_names if not n.startswith("_")] + ["_row_number"] + (
        ["_period_month"] if SPECS[kind].month_of else []
    )


def test_insats_register_optional_registration_columns(tmp_path):
    """Budgeterat antal deltagare (here under its alias), Inriktning and Målgrupp are read when
    present; a register without them loads with nulls; a negative budgeted number is an error."""
    path = write(
        tmp_path,
        "insatser_2026-01-01.csv",
        "Förbund;Insats-ID;Startdatum;Budgeterade deltagare;Inriktning;Målgrupp\n"
        "F;X-1;2020-01-01;40;Samordningsteam;Unga vuxna\nF;X-2;2021-01-01;;;\n",
    )
    result = parse(path, "insatser")
    assert result.ok, messages(result)
    f = result.frame
    assert f["budgeterat_antal_deltagare"].to_list() == [40, None]
    assert f["inriktning"].to_list() == ["Samordningsteam", None]
    assert f["malgrupp"].to_list() == ["Unga vuxna", None]

    without = parse(
        write(tmp_path, "insatser_2026-02-01.csv", "Förbund;Insats-ID;Startdatum\nF;X-1;2020-01-01\n"), "insatser"
    )
    assert without.ok, messages(without)
    assert without.frame["budgeterat_antal_deltagare"].to_list() == [None]
    assert without.frame["malgrupp"].to_list() == [None]

    negative = parse(
        write(
            tmp_path,
            "insatser_2026-03-01.csv",
            "Förbund;Insats-ID;Startdatum;Planerat antal deltagare\nF;X-1;2020-01-01;-5\n",
        ),
        "insatser",
    )
    assert negative.error_count == 1
