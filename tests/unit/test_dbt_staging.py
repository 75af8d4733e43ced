"""The dbt layer up to staging, built for real on a scratch warehouse.

A module fixture writes the raw tables exactly as ingest lays them out
(pipelines/sources/README.md) with a handful of rows from several files per kind, runs
`dbt build` on the seeds and the staging models (their data tests included; the dbt unit tests
run in tests/integration/test_dbt_unit_tests.py), and the tests read the staging views back. The rows are chosen so that each replacement rule
has a key the newest file replaces, a key only an older file holds, and a newer-looking file
that must lose; a wrong rule shows up as a wrong sum.

By hand: `python tests/unit/test_dbt_staging.py /tmp/stg/warehouse.duckdb` writes the raw
tables, then `cd dbt_project && FINSAM_WAREHOUSE_PATH=/tmp/stg/warehouse.duckdb dbt build`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")

D = dt.date
TS = dt.datetime


# ---------------------------------------------------------------------------------------------
# raw layout (pipelines/sources/README.md): canonical columns in spec order, personnummer as
# three columns, then the file columns every raw table has, then _period_month for month kinds
# ---------------------------------------------------------------------------------------------

FILE_COLUMNS = {
    "_row_number": "BIGINT",
    "_source_file": "VARCHAR",
    "_sha256": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
    "_file_date": "DATE",
    "_exported_at": "TIMESTAMP",
    "_file_mtime": "TIMESTAMP",
}


def _person(prefix: str = "") -> dict[str, str]:
    return {f"person_id{prefix}": "VARCHAR", f"fodelsedatum{prefix}": "DATE", f"kon_personnummer{prefix}": "VARCHAR"}


RAW_COLUMNS: dict[str, dict[str, str]] = {
    "sus_deltagare": {
        "forbund": "VARCHAR",
        "insats_id": "VARCHAR",
        "insatsnamn": "VARCHAR",
        **_person(),
        "kon": "VARCHAR",
        "startdatum": "DATE",
        "slutdatum": "DATE",
        "avslutsanledning": "VARCHAR",
        "sysselsattning_efter": "VARCHAR",
        "forsorjning_fore": "VARCHAR",
        "forsorjning_efter": "VARCHAR",
        "tid_i_offentlig_forsorjning": "VARCHAR",
        "utbildningsniva": "VARCHAR",
        "remittent": "VARCHAR",
    },
    "sus_anonyma": {"ar": "BIGINT", "forbund": "VARCHAR", "insats_id": "VARCHAR", "kvinnor": "BIGINT", "man": "BIGINT"},
    "insatser": {
        "forbund": "VARCHAR",
        "insats_id": "VARCHAR",
        "insatsnamn": "VARCHAR",
        "startdatum": "DATE",
        "slutdatum": "DATE",
        "arsplatser": "DOUBLE",
        "provotid_dagar": "BIGINT",
        "malutfall": "VARCHAR",
        "budgeterat_antal_deltagare": "BIGINT",
        "inriktning": "VARCHAR",
        "malgrupp": "VARCHAR",
    },
    "stegmatning": {
        **_person(),
        "insats_id": "VARCHAR",
        "startdatum": "DATE",
        "mattillfalle": "VARCHAR",
        "steg": "INTEGER",
    },
    "procapita_ekonomiskt_bistand": {
        "ar": "BIGINT",
        "manad": "BIGINT",
        "kommun": "VARCHAR",
        "distrikt": "VARCHAR",
        **_person("_1"),
        "kon1": "BIGINT",
        "alder1": "BIGINT",
        "hhstatus1": "VARCHAR",
        "sbel": "DOUBLE",
        **_person("_2"),
        "kon2": "BIGINT",
        "alder2": "BIGINT",
    },
    "procapita_aktiviteter": {
        **_person(),
        "aktivitet": "VARCHAR",
        "insats_id": "VARCHAR",
        "beslutsdatum": "DATE",
        "startdatum": "DATE",
        "planerat_slutdatum": "DATE",
        "slutdatum": "DATE",
        "status": "VARCHAR",
        "planerade_timmar_per_vecka": "DOUBLE",
    },
    "procapita_narvaro": {
        **_person(),
        "aktivitet": "VARCHAR",
        "datum": "DATE",
        "planerade_timmar": "DOUBLE",
        "narvarotimmar": "DOUBLE",
        "franvaroorsak": "VARCHAR",
    },
    "budget": {
        "ar": "BIGINT",
        "forbund": "VARCHAR",
        "insats_id": "VARCHAR",
        "kostnadsslag": "VARCHAR",
        "belopp": "DOUBLE",
    },
    "finansiering": {"ar": "BIGINT", "forbund": "VARCHAR", "finansiar": "VARCHAR", "belopp": "DOUBLE"},
    "ledger": {
        "forbund": "VARCHAR",
        "period": "DATE",
        "ansvar": "VARCHAR",
        "verksamhet": "VARCHAR",
        "projekt": "VARCHAR",
        "konto": "BIGINT",
        "kontobenamning": "VARCHAR",
        "motpart": "VARCHAR",
        "belopp": "DOUBLE",
    },
}
MONTH_OF = {"procapita_ekonomiskt_bistand": None, "procapita_narvaro": "datum", "ledger": "period"}


def pid(name: str) -> str:
    """A stand-in pseudonym: 64 hex chars, like ingest's HMAC."""
    return hashlib.sha256(name.encode()).hexdigest()


PERSONS = {  # name: (birth date, sex from the personnummer)
    "anna": (D(1985, 4, 2), "Kvinna"),
    "bertil": (D(1970, 11, 30), "Man"),
    "cecilia": (D(1999, 1, 15), "Kvinna"),
    "david": (D(1990, 6, 1), "Man"),
    "erik": (D(1980, 2, 2), "Man"),
    "fredrik": (D(1984, 8, 8), "Man"),
    "gustav": (D(1975, 3, 3), "Man"),
}


def person(name: str, prefix: str = "") -> dict:
    born, sex = PERSONS[name]
    return {f"person_id{prefix}": pid(name), f"fodelsedatum{prefix}": born, f"kon_personnummer{prefix}": sex}


def file(name: str, file_date: dt.date | None, mtime: dt.datetime, exported_at: dt.datetime | None = None) -> dict:
    return {
        "_source_file": name,
        "_sha256": hashlib.sha256(name.encode()).hexdigest(),
        "_loaded_at": mtime + dt.timedelta(hours=1),
        "_file_date": file_date,
        "_exported_at": exported_at,
        "_file_mtime": mtime,
    }


def raw_files() -> dict[str, list[tuple[dict, list[dict]]]]:
    """Per kind: (file columns, rows) for each loaded file."""
    return {
        "sus_deltagare": [
            (
                file("sus_deltagare_2022-01-15.xlsx", D(2022, 1, 15), TS(2022, 1, 16)),
                [
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        **person("anna"),
                        "kon": "Kvinna",
                        "startdatum": D(2021, 3, 1),
                        "forsorjning_fore": "Försörjningsstöd",
                    },
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        **person("bertil"),
                        "kon": "Man",
                        "startdatum": D(2021, 5, 1),
                    },
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV2",
                        "insatsnamn": "MAC",
                        **person("cecilia"),
                        "kon": "Kvinna",
                        "startdatum": D(2021, 9, 1),
                        "slutdatum": D(2021, 12, 1),
                        "avslutsanledning": "Utskrivning",
                        "sysselsattning_efter": "Arbete",
                        "forsorjning_fore": "Försörjningsstöd",
                        "forsorjning_efter": "Ingen offentlig försörjning",
                    },
                ],
            ),
            # newer for AV1: replaces anna and bertil there; AV2 is not in it and stays from the older file
            (
                file("sus_deltagare_2022-06-30.xlsx", D(2022, 6, 30), TS(2022, 7, 1)),
                [
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        **person("anna"),
                        "kon": "kvinna",
                        "startdatum": D(2021, 3, 1),
                        "slutdatum": D(2022, 5, 31),
                        "avslutsanledning": "utskrivning",
                        "sysselsattning_efter": "arbete",
                        "forsorjning_fore": "FÖRSÖRJNINGSSTÖD, a-kassa",
                        "forsorjning_efter": "ingen offentlig försörjning",
                        "tid_i_offentlig_forsorjning": "upp till 2 år",
                        "utbildningsniva": "GYMNASIUM",
                        "remittent": "socialtjänsten",
                    },
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        **person("bertil"),
                        "kon": None,
                        "startdatum": D(2021, 5, 1),
                    },
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        **person("david"),
                        "kon": "Man",
                        "startdatum": D(2022, 2, 1),
                        "slutdatum": D(2022, 2, 3),
                        "avslutsanledning": "felregistrering",
                    },
                ],
            ),
            # newest mtime but no date in its name: loses to every dated file (nulls last)
            (
                file("sus_deltagare_export.xlsx", None, TS(2023, 1, 1)),
                [
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV2",
                        "insatsnamn": "MAC",
                        **person("cecilia"),
                        "kon": "Kvinna",
                        "startdatum": D(2021, 9, 1),
                        "slutdatum": D(2021, 11, 1),
                        "avslutsanledning": "Avbrott",
                    },
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV2",
                        "insatsnamn": "MAC",
                        **person("erik"),
                        "kon": "Man",
                        "startdatum": D(2021, 10, 1),
                    },
                ],
            ),
        ],
        "sus_anonyma": [
            (
                file("sus_anonyma_2022-01-10.csv", D(2022, 1, 10), TS(2022, 1, 10)),
                [
                    {"ar": 2021, "forbund": "Avesta", "insats_id": "AV1", "kvinnor": 2, "man": 1},
                    {"ar": 2021, "forbund": "Västerås", "insats_id": "VS1", "kvinnor": 5, "man": 5},
                ],
            ),
            (
                file("sus_anonyma_2022-02-10.csv", D(2022, 2, 10), TS(2022, 2, 10)),
                [
                    {"ar": 2021, "forbund": "Avesta", "insats_id": "AV1", "kvinnor": 3, "man": 1},
                ],
            ),
        ],
        "insatser": [
            (
                file("insatser_2022-01-01.xlsx", D(2022, 1, 1), TS(2022, 1, 1)),
                [
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        "startdatum": D(2018, 1, 1),
                        "arsplatser": 10.0,
                        "provotid_dagar": 60,
                        "malutfall": "arbete, studier",
                    },
                    {"forbund": "Avesta", "insats_id": "AV2", "insatsnamn": "MAC", "startdatum": D(2019, 1, 1)},
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV3",
                        "insatsnamn": "Nedlagd",
                        "startdatum": D(2015, 1, 1),
                        "slutdatum": D(2017, 12, 31),
                    },
                    {
                        "forbund": "Västerås",
                        "insats_id": "VS1",
                        "insatsnamn": "Samordningsteam Västerås",
                        "startdatum": D(2020, 1, 1),
                        "arsplatser": 25.0,
                        "provotid_dagar": 90,
                        "malutfall": "Arbete,STUDIER, arbetslivsinriktad_rehab",
                    },
                ],
            ),
            # Avesta's newer register: replaces all of Avesta's rows (AV3 is gone), not Västerås'
            (
                file("insatser_2022-06-01.xlsx", D(2022, 6, 1), TS(2022, 6, 1)),
                [
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "insatsnamn": "Samordningsteam",
                        "startdatum": D(2018, 1, 1),
                        "arsplatser": 12.0,
                        "provotid_dagar": 60,
                        "malutfall": "arbete, studier",
                    },
                    {
                        "forbund": "Avesta",
                        "insats_id": "AV2",
                        "insatsnamn": "MAC",
                        "startdatum": D(2019, 1, 1),
                        "malutfall": "",
                    },
                ],
            ),
        ],
        "stegmatning": [
            (
                file("stegmatning_2022-03-01.xlsx", D(2022, 3, 1), TS(2022, 3, 1)),
                [
                    {
                        **person("anna"),
                        "insats_id": "AV1",
                        "startdatum": D(2021, 3, 1),
                        "mattillfalle": "Start",
                        "steg": 1,
                    },
                    {
                        **person("anna"),
                        "insats_id": "AV1",
                        "startdatum": D(2021, 3, 1),
                        "mattillfalle": "Avslut",
                        "steg": 2,
                    },
                    {
                        **person("bertil"),
                        "insats_id": "AV1",
                        "startdatum": D(2021, 5, 1),
                        "mattillfalle": "start",
                        "steg": 2,
                    },
                    {
                        **person("cecilia"),
                        "insats_id": "AV2",
                        "startdatum": D(2021, 9, 1),
                        "mattillfalle": "START",
                        "steg": 1,
                    },
                ],
            ),
            (
                file("stegmatning_2022-06-30.xlsx", D(2022, 6, 30), TS(2022, 6, 30)),
                [
                    {
                        **person("anna"),
                        "insats_id": "AV1",
                        "startdatum": D(2021, 3, 1),
                        "mattillfalle": "Start",
                        "steg": 1,
                    },
                    {
                        **person("anna"),
                        "insats_id": "AV1",
                        "startdatum": D(2021, 3, 1),
                        "mattillfalle": "AVSLUT",
                        "steg": 3,
                    },
                ],
            ),
        ],
        "procapita_ekonomiskt_bistand": [
            (
                file("procapita_ekonomiskt_bistand_2022-02-05.txt", D(2022, 2, 5), TS(2022, 2, 5)),
                [
                    {
                        "ar": 2022,
                        "manad": 1,
                        "kommun": "2084",
                        **person("anna", "_1"),
                        "sbel": 10000.0,
                        **person("fredrik", "_2"),
                    },
                    {"ar": 2022, "manad": 1, "kommun": "2084", **person("bertil", "_1"), "sbel": 5000.0},
                    {
                        "ar": 2022,
                        "manad": 2,
                        "kommun": "2084",
                        **person("anna", "_1"),
                        "sbel": 9000.0,
                        **person("fredrik", "_2"),
                    },
                ],
            ),
            # newer: contains January (replaces both January rows) and March; February stays
            (
                file("procapita_ekonomiskt_bistand_2022-03-05.txt", D(2022, 3, 5), TS(2022, 3, 5)),
                [
                    {
                        "ar": 2022,
                        "manad": 1,
                        "kommun": "2084",
                        **person("anna", "_1"),
                        "sbel": 10500.0,
                        **person("fredrik", "_2"),
                    },
                    {"ar": 2022, "manad": 3, "kommun": "1980", **person("bertil", "_1"), "sbel": 4000.0},
                ],
            ),
        ],
        "procapita_aktiviteter": [
            (
                file("procapita_aktiviteter_2022-01-31.csv", D(2022, 1, 31), TS(2022, 1, 31)),
                [
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "insats_id": "AV1",
                        "beslutsdatum": D(2022, 1, 5),
                        "startdatum": D(2022, 1, 10),
                        "planerat_slutdatum": D(2022, 6, 30),
                        "status": "Pågående",
                        "planerade_timmar_per_vecka": 20.0,
                    },
                    {
                        **person("bertil"),
                        "aktivitet": "Aktivering i grupp",
                        "startdatum": D(2022, 1, 3),
                        "status": "Pågående",
                        "planerade_timmar_per_vecka": 10.0,
                    },
                ],
            ),
            # newer: replaces the whole kind (bertil's activity is gone)
            (
                file("procapita_aktiviteter_2022-06-30.csv", D(2022, 6, 30), TS(2022, 6, 30)),
                [
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "insats_id": "AV1",
                        "beslutsdatum": D(2022, 1, 5),
                        "startdatum": D(2022, 1, 10),
                        "planerat_slutdatum": D(2022, 6, 30),
                        "slutdatum": D(2022, 5, 31),
                        "status": "fullföljd",
                        "planerade_timmar_per_vecka": 20.0,
                    },
                    {
                        **person("gustav"),
                        "aktivitet": "Arbetsförmågebedömning",
                        "startdatum": D(2022, 3, 1),
                        "status": "AVBRUTEN",
                        "slutdatum": D(2022, 3, 15),
                        "planerade_timmar_per_vecka": 8.0,
                    },
                ],
            ),
        ],
        "procapita_narvaro": [
            (
                file("procapita_narvaro_2022-02-01.csv", D(2022, 2, 1), TS(2022, 2, 1)),
                [
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "datum": D(2021, 12, 20),
                        "planerade_timmar": 4.0,
                        "narvarotimmar": 4.0,
                    },
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "datum": D(2022, 1, 10),
                        "planerade_timmar": 4.0,
                        "narvarotimmar": 4.0,
                    },
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "datum": D(2022, 1, 11),
                        "planerade_timmar": 4.0,
                        "narvarotimmar": 0.0,
                        "franvaroorsak": "sjuk",
                    },
                ],
            ),
            (
                file("procapita_narvaro_2022-03-01.csv", D(2022, 3, 1), TS(2022, 3, 1)),
                [
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "datum": D(2022, 1, 10),
                        "planerade_timmar": 4.0,
                        "narvarotimmar": 3.0,
                        "franvaroorsak": "GILTIG",
                    },
                    {
                        **person("anna"),
                        "aktivitet": "Arbetsträning",
                        "datum": D(2022, 2, 1),
                        "planerade_timmar": 4.0,
                        "narvarotimmar": 5.5,
                    },
                ],
            ),
        ],
        "budget": [
            (
                file("budget_2022-01-20.xlsx", D(2022, 1, 20), TS(2022, 1, 20)),
                [
                    {
                        "ar": 2022,
                        "forbund": "Avesta",
                        "insats_id": None,
                        "kostnadsslag": "Egen personal",
                        "belopp": 1940000.0,
                    },
                    {
                        "ar": 2022,
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "kostnadsslag": "externa tjänster",
                        "belopp": 500000.0,
                    },
                    {
                        "ar": 2021,
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "kostnadsslag": "Lokaler",
                        "belopp": 100000.0,
                    },
                ],
            ),
            (
                file("budget_2022-03-01.xlsx", D(2022, 3, 1), TS(2022, 3, 1)),
                [
                    {
                        "ar": 2022,
                        "forbund": "Avesta",
                        "insats_id": "AV1",
                        "kostnadsslag": "Externa tjänster",
                        "belopp": 450000.0,
                    },
                    {
                        "ar": 2022,
                        "forbund": "Avesta",
                        "insats_id": None,
                        "kostnadsslag": "EGEN PERSONAL",
                        "belopp": 1900000.0,
                    },
                ],
            ),
        ],
        "finansiering": [
            (
                file("finansiering_2022.xlsx", D(2022, 1, 1), TS(2022, 1, 5), TS(2022, 1, 5, 9)),
                [
                    {"ar": 2022, "forbund": "Avesta", "finansiar": "Försäkringskassan", "belopp": 1000000.0},
                    {"ar": 2022, "forbund": "Avesta", "finansiar": "Region Dalarna", "belopp": 500000.0},
                    {"ar": 2021, "forbund": "Avesta", "finansiar": "Avesta kommun", "belopp": 250000.0},
                ],
            ),
            # same file date, later Exekvering stamp (but older mtime): newer
            (
                file("finansiering_2022_rev.xlsx", D(2022, 1, 1), TS(2022, 1, 1), TS(2022, 1, 7, 9)),
                [
                    {"ar": 2022, "forbund": "Avesta", "finansiar": "Försäkringskassan", "belopp": 1100000.0},
                ],
            ),
        ],
        "ledger": [
            (
                file("ledger_2022-04-05.csv", D(2022, 4, 5), TS(2022, 4, 5)),
                [
                    {
                        "period": D(2022, 1, 1),
                        "projekt": "AV1",
                        "konto": 5010,
                        "kontobenamning": "Löner",
                        "belopp": 100000.0,
                    },
                    {
                        "period": D(2022, 1, 1),
                        "projekt": "AV1",
                        "konto": 6420,
                        "kontobenamning": "Konsulter",
                        "belopp": 50000.0,
                    },
                    {
                        "period": D(2022, 1, 1),
                        "projekt": "VS1",
                        "konto": 6110,
                        "kontobenamning": "Hyra",
                        "belopp": 20000.0,
                    },
                    {
                        "period": D(2022, 2, 1),
                        "projekt": "AV1",
                        "konto": 5010,
                        "kontobenamning": "Löner",
                        "belopp": 110000.0,
                    },
                    {
                        "period": D(2022, 2, 1),
                        "forbund": "Avesta",
                        "projekt": None,
                        "konto": 7010,
                        "kontobenamning": "Övrigt",
                        "belopp": 4000.0,
                    },
                ],
            ),
            # newer: replaces February whole, adds March; January stays
            (
                file("ledger_2022-05-05.csv", D(2022, 5, 5), TS(2022, 5, 5)),
                [
                    {
                        "period": D(2022, 2, 1),
                        "projekt": "AV1",
                        "konto": 5010,
                        "kontobenamning": "Löner",
                        "belopp": 120000.0,
                    },
                    {
                        "period": D(2022, 2, 1),
                        "projekt": "AV1",
                        "konto": 3010,
                        "kontobenamning": "Bidrag",
                        "belopp": -30000.0,
                    },
                    {
                        "period": D(2022, 3, 1),
                        "projekt": "AV1",
                        "konto": 8410,
                        "kontobenamning": "Räntor",
                        "belopp": -200.0,
                    },
                    {
                        "period": D(2022, 3, 1),
                        "projekt": "AV1",
                        "konto": 4650,
                        "kontobenamning": "Tjänster",
                        "belopp": 7000.0,
                    },
                    {
                        "period": D(2022, 3, 1),
                        "projekt": "AV1",
                        "konto": 4010,
                        "kontobenamning": "Material",
                        "belopp": 3000.0,
                    },
                    {
                        "period": D(2022, 3, 1),
                        "forbund": "Avesta",
                        "projekt": None,
                        "konto": 7010,
                        "kontobenamning": "Övrigt",
                        "belopp": 5000.0,
                    },
                ],
            ),
        ],
    }


def create_raw_tables(path: Path | str) -> None:
    """Write every raw.<kind> table, in ingest's layout, with the rows of `raw_files()`."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        for kind, columns in RAW_COLUMNS.items():
            all_columns = {**columns, **FILE_COLUMNS}
            if kind in MONTH_OF:
                all_columns["_period_month"] = "DATE"
            ddl = ", ".join(f'"{name}" {typ}' for name, typ in all_columns.items())
            con.execute(f"create or replace table raw.{kind} ({ddl})")
            names = list(all_columns)
            insert = f"insert into raw.{kind} values ({', '.join('?' for _ in names)})"
            for file_columns, rows in raw_files()[kind]:
                for number, row in enumerate(rows, start=2):  # line 1 is the header
                    unknown = set(row) - set(columns)
                    assert not unknown, f"{kind}: unknown columns {unknown}"
                    values = {**row, **file_columns, "_row_number": number}
                    if kind == "procapita_ekonomiskt_bistand":
                        values["_period_month"] = D(row["ar"], row["manad"], 1)
                    elif kind in MONTH_OF:
                        values["_period_month"] = row[MONTH_OF[kind]].replace(day=1)
                    con.execute(insert, [values.get(name) for name in names])


def run_dbt(args: list[str], warehouse: Path, work_dir: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "FINSAM_WAREHOUSE_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [
            str(DBT_EXECUTABLE),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ],
        env=env,
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    work_dir = tmp_path_factory.mktemp("dbt_staging")
    path = work_dir / "warehouse.duckdb"
    create_raw_tables(path)
    result = run_dbt(
        # Seeds, staging models and their data tests. Cautious indirect selection keeps out tests
        # that also need intermediate or marts models, which this build does not make. The dbt
        # unit tests (staging's among them) run once, all together, in test_dbt_unit_tests.py.
        [
            "build",
            "--select",
            "staging",
            "resource_type:seed",
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
        path,
        work_dir,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert "WARN=0" in result.stdout, result.stdout[-8000:]
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --- the fixture's raw layout is ingest's -------------------------------------------------------


def test_fixture_raw_layout_matches_ingest_specs():
    spec_module = pytest.importorskip("pipelines.sources.spec")
    for kind, spec in spec_module.load_specs().items():
        ours = {**RAW_COLUMNS[kind], **FILE_COLUMNS}
        if kind in MONTH_OF:
            ours["_period_month"] = "DATE"
        assert list(ours.items()) == list(spec.raw_schema()), kind


def test_dbt_sources_declare_every_raw_column_with_its_asset_key():
    import yaml

    declared = {}
    for path in (DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            assert source["schema"] == "raw"
            for table in source["tables"]:
                assert table["config"]["meta"]["dagster"]["asset_key"] == ["raw", table["name"]]
                declared[table["name"]] = [(c["name"], c["data_type"]) for c in table["columns"]]
    assert set(declared) == set(RAW_COLUMNS)
    for kind, columns in RAW_COLUMNS.items():
        expected = {**columns, **FILE_COLUMNS}
        if kind in MONTH_OF:
            expected["_period_month"] = "DATE"
        assert declared[kind] == list(expected.items()), kind


# --- replacement rules --------------------------------------------------------------------------


def test_deltagare_newest_file_per_forbund_and_insats(warehouse):
    got = rows(
        warehouse,
        """
        select insats_id, p.name, slutdatum, _source_file
        from staging.stg_sus__deltagare d
        join (select * from (values {}) t(name, id)) p on p.id = d.person_id
        order by insats_id, p.name
    """.format(", ".join(f"('{n}', '{pid(n)}')" for n in PERSONS)),
    )
    assert got == [
        ("AV1", "anna", D(2022, 5, 31), "sus_deltagare_2022-06-30.xlsx"),
        ("AV1", "bertil", None, "sus_deltagare_2022-06-30.xlsx"),
        # AV2 is not in the June file, and the undated export loses to the dated January file
        ("AV2", "cecilia", D(2021, 12, 1), "sus_deltagare_2022-01-15.xlsx"),
    ]


def test_felregistrering_is_dropped_and_counted(warehouse):
    assert rows(warehouse, f"select count(*) from staging.stg_sus__deltagare where person_id = '{pid('david')}'") == [
        (0,)
    ]
    got = rows(
        warehouse,
        "select forbund, insats_id, startdatum, slutdatum, _source_file from staging.stg_sus__felregistreringar",
    )
    assert got == [("Avesta", "AV1", D(2022, 2, 1), D(2022, 2, 3), "sus_deltagare_2022-06-30.xlsx")]


def test_deltagande_id_is_md5_of_the_episode_key(warehouse):
    expected = hashlib.md5(f"Avesta|AV1|{pid('anna')}|2021-03-01".encode()).hexdigest()
    assert rows(
        warehouse, f"select deltagande_id from staging.stg_sus__deltagare where person_id = '{pid('anna')}'"
    ) == [(expected,)]


def test_anonyma_replaced_per_year_and_forbund(warehouse):
    assert rows(
        warehouse, "select ar, forbund, insats_id, kvinnor, man from staging.stg_sus__anonyma order by forbund"
    ) == [
        (2021, "Avesta", "AV1", 3, 1),
        (2021, "Västerås", "VS1", 5, 5),
    ]


def test_insatser_replaced_per_forbund_with_defaults(warehouse):
    got = rows(
        warehouse,
        """
        select forbund, insats_id, arsplatser, provotid_dagar, malutfall
        from staging.stg_forbund__insatser order by insats_id
    """,
    )
    assert got == [
        ("Avesta", "AV1", 12.0, 60, ["arbete", "studier"]),
        ("Avesta", "AV2", None, 90, ["arbete", "studier", "arbetslivsinriktad_rehab"]),
        ("Västerås", "VS1", 25.0, 90, ["arbete", "studier", "arbetslivsinriktad_rehab"]),
    ]


def test_stegmatning_replaced_per_insats(warehouse):
    got = rows(
        warehouse,
        """
        select insats_id, startdatum, mattillfalle, steg from staging.stg_forbund__stegmatning
        order by insats_id, mattillfalle desc
    """,
    )
    assert got == [
        ("AV1", D(2021, 3, 1), "Start", 1),
        ("AV1", D(2021, 3, 1), "Avslut", 3),
        ("AV2", D(2021, 9, 1), "Start", 1),
    ]


def test_aktiviteter_newest_file_replaces_whole_kind(warehouse):
    got = rows(
        warehouse,
        """
        select aktivitet, insats_id, status, slutdatum, kon from staging.stg_procapita__aktiviteter order by aktivitet
    """,
    )
    assert got == [
        ("Arbetsförmågebedömning", None, "Avbruten", D(2022, 3, 15), "Man"),
        ("Arbetsträning", "AV1", "Fullföljd", D(2022, 5, 31), "Kvinna"),
    ]


def test_narvaro_replaced_by_month(warehouse):
    got = rows(
        warehouse,
        """
        select datum, narvarotimmar, franvaroorsak, _source_file from staging.stg_procapita__narvaro order by datum
    """,
    )
    assert got == [
        (D(2021, 12, 20), 4.0, None, "procapita_narvaro_2022-02-01.csv"),
        (D(2022, 1, 10), 3.0, "Giltig", "procapita_narvaro_2022-03-01.csv"),
        (D(2022, 2, 1), 5.5, None, "procapita_narvaro_2022-03-01.csv"),
    ]


def test_budget_replaced_per_year_and_forbund(warehouse):
    assert rows(
        warehouse, "select ar, insats_id, kostnadsslag, belopp from staging.stg_ekonomi__budget order by ar, insats_id"
    ) == [
        (2021, "AV1", "Lokaler", 100000.0),
        (2022, "(förbund)", "Egen personal", 1900000.0),
        (2022, "AV1", "Externa tjänster", 450000.0),
    ]


def test_finansiering_replaced_per_year_and_forbund_the_later_exekvering_winning_a_tie(warehouse):
    # same file date: the later Exekvering stamp wins, although its file is older on disk
    assert rows(warehouse, "select ar, finansiar, belopp from staging.stg_ekonomi__finansiering order by ar") == [
        (2021, "Avesta kommun", 250000.0),
        (2022, "Försäkringskassan", 1100000.0),
    ]


def test_ledger_months_and_kostnadsslag(warehouse):
    got = rows(
        warehouse,
        """
        select manad, forbund, insats_id, konto, kostnadsslag, ar_kostnad, belopp
        from staging.stg_ekonomi__ledger order by manad, konto
    """,
    )
    assert got == [
        (D(2022, 1, 1), "Avesta", "AV1", 5010, "Egen personal", True, 100000.0),
        (D(2022, 1, 1), "Västerås", "VS1", 6110, "Lokaler", True, 20000.0),
        (D(2022, 1, 1), "Avesta", "AV1", 6420, "Externa tjänster", True, 50000.0),
        # February comes only from the newer file (its 110 000 and the 4 000 row are replaced)
        (D(2022, 2, 1), "Avesta", "AV1", 3010, "Intäkter", False, -30000.0),
        (D(2022, 2, 1), "Avesta", "AV1", 5010, "Egen personal", True, 120000.0),
        (D(2022, 3, 1), "Avesta", "AV1", 4010, "Övriga kostnader", True, 3000.0),
        (D(2022, 3, 1), "Avesta", "AV1", 4650, "Externa tjänster", True, 7000.0),
        (D(2022, 3, 1), "Avesta", "(förbund)", 7010, "Övriga kostnader", True, 5000.0),
        (D(2022, 3, 1), "Avesta", "AV1", 8410, "Finansiella poster", False, -200.0),
    ]
    assert rows(warehouse, "select sum(belopp) from staging.stg_ekonomi__ledger where ar_kostnad") == [(305000.0,)]
    assert rows(warehouse, "select distinct ar from staging.stg_ekonomi__ledger") == [(2022,)]


# --- the household payment unpivot --------------------------------------------------------------


def test_ekonomiskt_bistand_one_row_per_person_and_month(warehouse):
    names = {pid(n): n for n in PERSONS}
    got = [
        (manad, names[person_id], roll, belopp, kommun)
        for manad, person_id, roll, belopp, kommun in rows(
            warehouse,
            """
            select manad, person_id, hushall_roll, belopp, kommun
            from staging.stg_procapita__ekonomiskt_bistand order by manad, hushall_roll desc
        """,
        )
    ]
    assert got == [
        # January from the newer file only: bertil's 5 000 there is replaced, never added
        (D(2022, 1, 1), "anna", "sokande", 10500.0, "2084"),
        (D(2022, 1, 1), "fredrik", "medsokande", 10500.0, "2084"),
        (D(2022, 2, 1), "anna", "sokande", 9000.0, "2084"),
        (D(2022, 2, 1), "fredrik", "medsokande", 9000.0, "2084"),
        (D(2022, 3, 1), "bertil", "sokande", 4000.0, "1980"),
    ]


# --- code normalisation -------------------------------------------------------------------------


def test_codes_take_the_seeds_spelling(warehouse):
    got = rows(
        warehouse,
        f"""
        select kon, avslutsanledning, sysselsattning_efter, forsorjning_fore, forsorjning_efter,
               tid_i_offentlig_forsorjning, utbildningsniva, remittent
        from staging.stg_sus__deltagare where person_id = '{pid("anna")}'
    """,
    )
    assert got == [
        (
            "Kvinna",
            "Utskrivning",
            "Arbete",
            ["A-kassa", "Försörjningsstöd"],  # the code list's order, whatever the export's
            ["Ingen offentlig försörjning"],
            "Upp till 2 år",
            "Gymnasium",
            "Socialtjänsten",
        )
    ]


def test_missing_kon_falls_back_to_personnummer_and_empty_lists(warehouse):
    got = rows(
        warehouse,
        f"""
        select kon, forsorjning_fore, forsorjning_efter
        from staging.stg_sus__deltagare where person_id = '{pid("bertil")}'
    """,
    )
    assert got == [("Man", [], [])]


def test_no_row_is_kept_twice(warehouse):
    for model in ["stg_sus__deltagare", "stg_ekonomi__ledger"]:
        assert rows(
            warehouse,
            f"""
            select count(*) from (
                select _sha256, _row_number from staging.{model} group by all having count(*) > 1
            )
        """,
        ) == [(0,)], model


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/stg/warehouse.duckdb")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    create_raw_tables(target)
    print(f"raw tables written to {target}")
