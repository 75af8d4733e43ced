"""Dates, sizes, the code lists and the distributions the demo data is drawn from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

WORLD_FILE = Path(__file__).with_name("world.yml")

DATA_START = dt.date(2021, 1, 1)
EPOCH = dt.date(1970, 1, 1)
SPLIT_SCALE = 25.0  # above this, month-additive kinds are written one file per year
OCCUPANCY = 0.85
MAX_DAYS = 760
BIRTH_FIRST = dt.date(1960, 1, 1)
BIRTH_LAST = dt.date(2004, 12, 31)
SERIALS = np.arange(980, 1000)  # birth numbers: last four digits 98xx / 99xx
EXCEL_EPOCH_OFFSET = 25569  # Excel serial of 1970-01-01

# Code lists (dbt_project/seeds/kodlistor.csv).
KON = ["Kvinna", "Man"]
AVSLUT = [
    "Utskrivning",
    "Utskrivning pga sjukdom",
    "Utskrivning-Fortsatt rehabilitering",
    "Utskrivning-Utan mätning",
    "Avbrott",
    "Flytt",
    "Felregistrering",
]
SYSS = [
    "Arbete",
    "Studier",
    "Arbetslivsinriktad rehabilitering",
    "Aktivt arbetssökande",
    "Sjukskrivning/sjukersättning",
    "Övrigt",
]
FORS = [
    "A-kassa",
    "Aktivitetsersättning",
    "Aktivitetsstöd",
    "Annan offentlig försörjning",
    "Etableringsersättning",
    "Försörjningsstöd",
    "Ingen offentlig försörjning",
    "Sjukersättning",
    "Sjukpenning/Rehabpenning",
    "Studiestöd/Studiemedel",
]
F_AKASSA, F_AKTERS, F_AKTSTOD, F_ANNAN, F_ETAB, F_FSTOD, F_INGEN, F_SJUKERS, F_SJUKP, F_STUD = range(10)
TID = [f"Upp till {i} år" for i in range(1, 10)] + ["Mer än 9 år", "Ej tillämpligt"]
UTB = [
    "Grundskola",
    "Gymnasium",
    "Annan eftergymnasial utbildning",
    "Högskola/universitet upp till 1 år",
    "Högskola/universitet upp till 3 år",
    "Högskola/universitet mer än 3 år",
    "Saknas/okänd",
]
REMITTENT = ["Arbetsförmedlingen", "Försäkringskassan", "Socialtjänsten", "Region", "Egen anmälan", "Annan"]
STEG_NAMN = ["Introduktion", "Kom igång", "Kom i jobb", "Egen försörjning"]
NARVARO_COLUMNS = ["Personnummer", "Aktivitet", "Datum", "Planerade timmar", "Närvarotimmar", "Frånvaroorsak"]
STATUS = ["Pågående", "Fullföljd", "Avbruten"]
FRANVARO = ["Sjuk", "Giltig", "Ogiltig"]
KOSTNADSSLAG = ["Egen personal", "Externa tjänster", "Lokaler", "Övriga kostnader"]
DEFAULT_MAL = "arbete, studier, arbetslivsinriktad_rehab"

SUS_COLUMNS = [
    "Förbund",
    "Insats-ID",
    "Insatsnamn",
    "Personnummer",
    "Kön",
    "Startdatum",
    "Slutdatum",
    "Avslutsanledning",
    "Sysselsättning efter",
    "Försörjning före",
    "Försörjning efter",
    "Tid i offentlig försörjning",
    "Utbildningsnivå",
    "Remittent",
]

# Distributions (indices into the lists above).
REMITTENT_PROFILES = {
    "team": [0.30, 0.25, 0.28, 0.10, 0.04, 0.03],
    "kommun": [0.12, 0.06, 0.70, 0.04, 0.05, 0.03],
    "region": [0.15, 0.20, 0.15, 0.42, 0.05, 0.03],
    "fk": [0.10, 0.60, 0.10, 0.15, 0.02, 0.03],
    "af": [0.65, 0.08, 0.17, 0.04, 0.03, 0.03],
}
# Primary income source before, by remittent (rows: REMITTENT order, columns: FORS order).
FORE_BY_REMITTENT = np.array(
    [
        [0.10, 0.02, 0.40, 0.03, 0.10, 0.20, 0.07, 0.01, 0.04, 0.03],
        [0.01, 0.12, 0.03, 0.02, 0.00, 0.12, 0.05, 0.20, 0.44, 0.01],
        [0.01, 0.02, 0.06, 0.02, 0.03, 0.78, 0.04, 0.01, 0.02, 0.01],
        [0.02, 0.08, 0.04, 0.03, 0.01, 0.30, 0.10, 0.12, 0.28, 0.02],
        [0.05, 0.03, 0.08, 0.05, 0.02, 0.35, 0.25, 0.04, 0.08, 0.05],
        [0.04, 0.05, 0.10, 0.08, 0.03, 0.40, 0.12, 0.05, 0.10, 0.03],
    ]
)
SECOND_SOURCE = (
    [F_FSTOD, F_SJUKP, F_AKTSTOD, F_SJUKERS, F_AKASSA, F_AKTERS, F_STUD],
    [0.55, 0.15, 0.12, 0.05, 0.05, 0.04, 0.04],
)
TID_P = [0.17, 0.15, 0.12, 0.10, 0.08, 0.07, 0.05, 0.04, 0.03, 0.16, 0.03]
UTB_P = [0.30, 0.38, 0.06, 0.04, 0.09, 0.05, 0.08]
# Försörjning efter by Sysselsättning efter: (primary, secondary or -1), probability.
# -2 = the same sources as Försörjning före.
EFTER_BY_SYSS = {
    0: (
        [(F_INGEN, -1), (F_FSTOD, -1), (F_SJUKERS, -1), (F_SJUKP, -1), (F_AKTSTOD, -1)],
        [0.75, 0.08, 0.05, 0.04, 0.08],
    ),
    1: ([(F_STUD, -1), (F_FSTOD, F_STUD), (F_INGEN, -1)], [0.80, 0.12, 0.08]),
    2: (
        [(F_AKTSTOD, -1), (F_SJUKP, -1), (F_FSTOD, -1), (F_AKTERS, -1), (F_AKTSTOD, F_FSTOD)],
        [0.40, 0.25, 0.20, 0.08, 0.07],
    ),
    3: ([(F_AKTSTOD, -1), (F_AKASSA, -1), (F_FSTOD, -1), (F_AKTSTOD, F_FSTOD)], [0.40, 0.20, 0.30, 0.10]),
    4: ([(F_SJUKP, -1), (F_SJUKERS, -1), (F_AKTERS, -1), (F_FSTOD, F_SJUKP)], [0.50, 0.25, 0.10, 0.15]),
    5: ([(-2, -1), (F_FSTOD, -1), (F_INGEN, -1)], [0.55, 0.35, 0.10]),
    -1: ([(-2, -1), (F_FSTOD, -1), (F_INGEN, -1)], [0.55, 0.35, 0.10]),
}
MONTH_WEIGHT = np.array([1.15, 1.10, 1.10, 1.00, 1.00, 0.80, 0.35, 0.90, 1.20, 1.15, 1.05, 0.60])
