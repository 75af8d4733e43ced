"""Synthetic demo exports for all ten source kinds (`finsam demo-data`).

What the data looks like
------------------------
* **Who**: at scale 1 three förbund, each with three insatser:
  Samordningsförbundet Västerås (SOT-VAS "Samordningsteam Västerås", 111 årsplatser, provotid 90;
  IPS-VAS; UNGA-VAS, a project that ran 2022-03-01..2025-12-31), Södra Dalarnas
  Samordningsförbund (SAMV-AVESTA "Samverkansteam Avesta", 60 årsplatser, provotid 60;
  SAMV-HEDEMORA; ARBT-SATER from 2021-09-01) and Samordningsförbundet Malmö (AC-MALMO
  "Aktivitetscenter", provotid 30; MAC-MALMO; IPS-MALMO, registered without årsplatser). With
  `scale` > 1 more förbund are added from `world.yml` (real municipalities and their kommunkoder;
  about 3·scale^0.565 förbund: 4 at scale 2, 11 at 10, 75 at 300), each with 3 or more insatser,
  and the number of participants grows linearly with `scale` (about 3 400 episodes per unit of
  scale). Below scale 1 the three förbund keep their insatser and money and get fewer participants.
* **When**: every date lies in 2021-01-01..`end` (the insats register's own start dates may be
  older). Exports are stamped `end` + 2 days (file names `<kind>_..._ÅÅÅÅ-MM-DD`, the xlsx
  `Exekvering:` line). Episode starts are seasonal (few in July and at Christmas, almost none on
  weekends); durations are lognormal per insats type (months to ~2 years, capped at 760 days).
* **Episodes** (sus_deltagare): ~7 % early dropouts (ended inside provotid, mostly Avbrott/Flytt),
  ~1 % Felregistrering (often followed by a new, correct episode), ongoing episodes have empty
  Slutdatum/Avslutsanledning, ~7 % of people come back for a second episode later (never
  overlapping in one insats). Försörjning före depends on the remittent (Försörjningsstöd most
  common, ~20 % two sources); Försörjning efter follows the outcome (more Ingen offentlig
  försörjning / Aktivitetsstöd / Studiestöd) and is empty for ~12 % of ended episodes;
  Sysselsättning efter is sometimes empty.
* **Personnummer are synthetic**: birth dates 1960-01-01..2004-12-31 and birth numbers 980-999,
  i.e. the last four digits are always in the 98xx/99xx range, with a valid Luhn check digit; the
  third birth-number digit is odd for men, matching Kön / Kon1. ~0.4 % of people have a
  samordningsnummer (day + 60); ~2 % of SUS rows are written `ÅÅMMDD-XXXX` and ~2 % `ÅÅÅÅMMDDXXXX`.
  The space holds 328 740 numbers: above scale ~100 people are reused across insatser (starts
  are assigned in time order, and an episode that would overlap another of the same person in
  the same insats is dropped).
* **stegmatning**: teams of type SOT and the insatser marked `steg` in world.yml (SOT-VAS,
  SAMV-AVESTA and MAC-MALMO, so each base förbund can be compared; at larger scale every
  Samordningsteam and half of the Samverkansteam) measure processtrappa steps: Start for ~92 % of episodes, Avslut for most
  ended ones (not for Utskrivning-Utan mätning); ~10 % of steps are written as names.
* **Pro Capita**: participants of activity insatser (AC-MALMO, Arbetsträning, ...) plus ~30 % extra
  municipal clients without Insats-ID get 1-3 consecutive activities (Pågående / Fullföljd / ~13 %
  Avbruten of ended). Attendance: one row per scheduled weekday (no Swedish public holidays),
  Närvarotimmar ≤ Planerade timmar, Frånvaroorsak when absent. Ekonomiskt bistånd: monthly
  payments for ~85 % of participants with Försörjningsstöd before (and a few others), from 3-15
  months before start to 0-12 months after end, ~14 % with a co-applicant (Personnr2, mostly of
  the other sex, drawn from people who are not SUS participants);
  Hhstatus1 1 = ensamstående utan barn, 2 = ensamstående med barn, 3 = sammanboende utan barn,
  4 = sammanboende med barn.
* **Insats register**: also the optional Uppföljning Finsam columns: Budgeterat antal deltagare
  (a year of the registered årsplatser at the type's mean duration; empty without årsplatser),
  Inriktning (the type's verksamhet) and Målgrupp (per type, world.yml).
* **Money**: budget per år × förbund × insats × kostnadsslag plus one Övriga kostnader row with
  empty Insats-ID (the förbund's administration); finansiering with Försäkringskassan 1/2 (the
  state's share), the region 1/4, the kommuner 1/4 split by population; a ledger on Kommun-Bas
  accounts (5110/5410/5810 personal, 6420/6460/4610 external services, 6110/6150 premises,
  4xxx/6xxx/7xxx other, 3510-3530 member contributions as credits, 8310/8410 interest), one salary
  row per employee and month plus invoices, landing near budget (about 95 %, 75-115 %), ~1.5 % negative
  correction bookings.

Forms (docs/sources.md)
-----------------------
* `insatser_<d>.csv`, `budget_<d>.csv`, `finansiering_<d>.csv`, `stegmatning_<förbund>_<d>.csv`:
  UTF-8, `;`, LF.
* `sus_deltagare_<förbund>_<d>.*`: Västerås as `.xlsx` (preamble `SUS - Deltagarlista`,
  `Exekvering: <d> 07:15:00`, a blank row, header on row 4, a final `Slutsumma` row; Startdatum and
  Slutdatum are real Excel dates formatted yyyy-mm-dd, everything else text); Södra Dalarna as
  cp1252 + `;` + CRLF; Malmö as UTF-8 with BOM + `,` + CRLF (fields with commas quoted). Extra
  förbund rotate through the three forms (every sixth gets xlsx).
* `sus_anonyma_<d>.csv`: UTF-8 with BOM, `,`, CRLF.
* `procapita_ekonomiskt_bistand_<d>.txt`: Socialstyrelsen's layout, tab, CRLF, cp1252.
* `procapita_aktiviteter_<d>.csv`, `procapita_narvaro_<d>.csv` (hours with decimal comma) and
  `ledger_<d>.csv` (Förbund first, then the canonical columns; amounts with decimal comma and
  space thousands, e.g. `94 448,35`): cp1252, `;`, CRLF.
* Above scale 25 the kinds that are additive by month (ledger, procapita_narvaro,
  procapita_ekonomiskt_bistand) are split into one file per calendar year, each named with the
  date of a year-end export (`<kind>_<year+1>-01-12.*`, the last year with the export date), so
  no month is in two files and no date is after its file's date. SUS deltagare and stegmatning
  are always one file per förbund; procapita_aktiviteter (replaced whole) is always one file.

Deterministic: the same seed, scale and end give byte-identical files (numpy
Generator(PCG64) streams spawned from the seed; fixed xlsx timestamps).
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import yaml

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


# ----------------------------------------------------------------------------- helpers


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, day


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (y * 12 + m - 1 - 1970 * 12)."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _next_weekday(days: np.ndarray) -> np.ndarray:
    wd = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    return np.where(wd >= 5, days + (7 - wd), days)


def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _slug(name: str) -> str:
    s = name.replace("Samordningsförbundet", "").replace("Samordningsförbund", "")
    s = re.sub(r"[^a-z0-9]+", "_", _ascii(s).lower()).strip("_")
    return s


def _pick(rng: np.random.Generator, p, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _pick_rows(rng: np.random.Generator, table: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Draw one column index per element, from the probability row table[row[i]]."""
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(row))
    out = (u[:, None] > cdf[row]).sum(axis=1)
    return np.minimum(out, table.shape[1] - 1)


def _labels(values: list[str], idx: np.ndarray) -> pl.Series:
    """Strings for code indices; index -1 gives null."""
    lut = pl.Series(list(values) + [None], dtype=pl.String)
    idx = np.where(np.asarray(idx) < 0, len(values), idx).astype(np.int64)
    return lut.gather(idx)


def _date_series(days: np.ndarray, name: str = "") -> pl.Series:
    """ÅÅÅÅ-MM-DD strings; negative days give null (formatted once per distinct day, then gathered)."""
    days = np.asarray(days, dtype=np.int64)
    valid = days >= 0
    if not valid.any():
        return pl.Series(name, [None] * len(days), dtype=pl.String)
    lo, hi = int(days[valid].min()), int(days[valid].max())
    lut = pl.Series(np.arange(lo, hi + 1, dtype=np.int32)).cast(pl.Date).dt.strftime("%Y-%m-%d")
    lut = lut.append(pl.Series([None], dtype=pl.String))
    return lut.gather(np.where(valid, days - lo, hi - lo + 1)).alias(name)


def _fors_text(primary: np.ndarray, secondary: np.ndarray) -> pl.Series:
    """Comma-separated FORS list in code-list order; primary -1 gives null."""
    code = (primary.astype(np.int64) + 1) * 11 + (secondary.astype(np.int64) + 1)
    uniq, inv = np.unique(code, return_inverse=True)
    texts = []
    for c in uniq:
        p, s = int(c) // 11 - 1, int(c) % 11 - 1
        if p < 0:
            texts.append(None)
            continue
        parts = sorted({p} | ({s} if s >= 0 else set()))
        texts.append(", ".join(FORS[i] for i in parts))
    return pl.Series(texts, dtype=pl.String).gather(inv.astype(np.int64))


def _overlaps_earlier(group: np.ndarray, start: np.ndarray, stop: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Mask of intervals [start, stop] (stop < 0 = still open) that start on or before the end of an
    earlier interval of the same group; dropping them leaves no overlaps."""
    n = len(group)
    if n == 0:
        return np.zeros(0, bool)
    big = 1 << 30
    order = np.lexsort((tie, start, group))
    g, s = group[order], start[order]
    e = np.where(stop[order] < 0, big - 1, stop[order])
    first = np.empty(n, bool)
    first[0] = True
    first[1:] = g[1:] != g[:-1]
    rank = np.cumsum(first).astype(np.int64) * big
    run_max = np.maximum.accumulate(rank + e) - rank  # running max of the ends within each group
    prev = np.empty(n, np.int64)
    prev[0] = -1
    prev[1:] = run_max[:-1]
    prev[first] = -1
    out = np.empty(n, bool)
    out[order] = s <= prev
    return out


def _luhn(digits: np.ndarray) -> np.ndarray:
    """Check digit for rows of 9 digits (YYMMDDNNN)."""
    w = np.array([2, 1, 2, 1, 2, 1, 2, 1, 2])
    p = digits * w
    s = (p // 10 + p % 10).sum(axis=1)
    return (10 - s % 10) % 10


def _swedish_holidays(years: range) -> np.ndarray:
    out = []
    for y in years:
        a, b, c = y % 19, y // 100, y % 100
        d, e = b // 4, b % 4
        f = (b + 8) // 25
        g = (b - f + 1) // 3
        h = (19 * a + b - d - g + 15) % 30
        i, k = c // 4, c % 4
        l_ = (32 + 2 * e + 2 * i - h - k) % 7
        m = (a + 11 * h + 22 * l_) // 451
        month = (h + l_ - 7 * m + 114) // 31
        day = (h + l_ - 7 * m + 114) % 31 + 1
        easter = dt.date(y, month, day)
        midsummer_eve = next(dt.date(y, 6, d) for d in range(19, 26) if dt.date(y, 6, d).weekday() == 4)
        days = [
            dt.date(y, 1, 1), dt.date(y, 1, 6), easter - dt.timedelta(days=2), easter + dt.timedelta(days=1),
            dt.date(y, 5, 1), easter + dt.timedelta(days=39), dt.date(y, 6, 6), midsummer_eve,
            dt.date(y, 12, 24), dt.date(y, 12, 25), dt.date(y, 12, 26), dt.date(y, 12, 31),
        ]  # fmt: skip
        out.extend(_days(x) for x in days)
    return np.array(sorted(out), dtype=np.int64)


_HOURS_LUT = pl.Series([f"{i // 10},{i % 10}" for i in range(241)], dtype=pl.String)


def _hours_text(tenths: np.ndarray) -> pl.Series:
    """Tenths of hours → `5,0` (decimal comma)."""
    return _HOURS_LUT.gather(np.asarray(tenths, dtype=np.int64))


def _amount_text(ore: pl.Expr) -> pl.Expr:
    """Öre → `-1 234 567,89` (space thousands, decimal comma)."""
    a = ore.abs()
    kr = a // 100
    g1, g2, g3 = kr // 1_000_000, (kr // 1000) % 1000, kr % 1000
    z3 = lambda e: e.cast(pl.String).str.zfill(3)  # noqa: E731 - a one-line helper for the expression below
    body = (
        pl.when(g1 > 0)
        .then(g1.cast(pl.String) + " " + z3(g2) + " " + z3(g3))
        .when(g2 > 0)
        .then(g2.cast(pl.String) + " " + z3(g3))
        .otherwise(g3.cast(pl.String))
    )
    sign = pl.when(ore < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + body + "," + (a % 100).cast(pl.String).str.zfill(2)


# ----------------------------------------------------------------------------- writers

_C1 = re.compile("[\u0080-\u009f]")


def _latin1_is_cp1252(texts) -> bool:
    """True when every text is latin-1 without C1 controls: then cp1252 bytes = latin-1 bytes."""
    for t in texts:
        try:
            t.encode("latin-1")
        except UnicodeEncodeError:
            return False
        if _C1.search(t):
            return False
    return True


@functools.cache
def _fast_cp1252() -> bool:
    """Every string in the data comes from world.yml or the code lists above."""
    consts = [KON, AVSLUT, SYSS, FORS, TID, UTB, REMITTENT, STEG_NAMN, STATUS, FRANVARO, KOSTNADSSLAG, SUS_COLUMNS]
    return _latin1_is_cp1252([WORLD_FILE.read_text(encoding="utf-8")] + [x for c in consts for x in c])


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1252" and _fast_cp1252():
        return text.encode("latin-1")  # a memcpy for latin-1 text; the same bytes as cp1252 here
    return text.encode(encoding)


@dataclass
class _Out:
    out_dir: Path
    paths: list[Path] = field(default_factory=list)

    def csv(
        self,
        name: str,
        df: pl.DataFrame,
        *,
        sep: str = ";",
        encoding: str = "utf-8",
        bom: bool = False,
        crlf: bool = False,
        chunk_rows: int = 1_000_000,
    ) -> Path:
        path = self.out_dir / name
        with path.open("wb") as fh:
            self._write_frame(
                fh, df, sep=sep, encoding=encoding, bom=bom, crlf=crlf, header=True, chunk_rows=chunk_rows
            )
        self.paths.append(path)
        return path

    @staticmethod
    def _write_frame(fh, df, *, sep, encoding, bom, crlf, header, chunk_rows=1_000_000) -> None:
        if bom and header:
            fh.write(codecs.BOM_UTF8)
        n = df.height
        for off in range(0, max(n, 1), chunk_rows):
            part = df.slice(off, chunk_rows)
            buf = io.BytesIO()
            part.write_csv(
                buf,
                separator=sep,
                line_terminator="\r\n" if crlf else "\n",
                include_header=header and off == 0,
                quote_style="necessary",
                null_value="",
            )
            data = buf.getvalue()
            if encoding != "utf-8":
                data = _encode(data.decode("utf-8"), encoding)
            fh.write(data)


def _write_sus_xlsx(
    path: Path, df: pl.DataFrame, start_days: np.ndarray, end_days: np.ndarray, stamp: dt.datetime
) -> None:
    """SUS report layout: title, `Exekvering:` stamp, blank row, header, rows, `Slutsumma`."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"title": "SUS - Deltagarlista", "author": "SUS", "created": stamp})
    ws = wb.add_worksheet("Deltagarlista")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    ws.write_string(0, 0, "SUS - Deltagarlista", bold)
    ws.write_string(1, 0, f"Exekvering: {stamp:%Y-%m-%d %H:%M:%S}")
    ws.write_row(3, 0, SUS_COLUMNS, bold)
    i_start, i_end = SUS_COLUMNS.index("Startdatum"), SUS_COLUMNS.index("Slutdatum")
    r = 4
    for row, s, t in zip(df.iter_rows(), start_days.tolist(), end_days.tolist(), strict=True):
        for c, v in enumerate(row):
            if c == i_start:
                ws.write_number(r, c, s + EXCEL_EPOCH_OFFSET, date_fmt)
            elif c == i_end:
                if t >= 0:
                    ws.write_number(r, c, t + EXCEL_EPOCH_OFFSET, date_fmt)
            elif v is not None:
                ws.write_string(r, c, v)
        r += 1
    ws.write_string(r, 0, "Slutsumma", bold)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 13, 18)
    wb.close()


# ----------------------------------------------------------------------------- world


@dataclass
class _World:
    forbund: list[dict]  # namn, slug, region, format, ansvar, kommuner[{namn, kod, invanare, finansiar, distrikt}]
    ins: pl.DataFrame  # one row per insats (see _build_world)
    types: dict
    raw: dict  # world.yml


def _finansiar_name(kommun: str) -> str:
    if kommun[-1].lower() in "aeiouyåäösxz":
        return f"{kommun} kommun"
    return f"{kommun}s kommun"


def _n_forbund(scale: float, n_available: int) -> int:
    if scale <= 1:
        return 3
    return int(min(3 + n_available, max(3, round(3 * scale**0.565))))


def _build_world(rng: np.random.Generator, scale: float, end: dt.date) -> _World:
    world = yaml.safe_load(WORLD_FILE.read_text(encoding="utf-8"))
    types = world["insats_types"]
    end_d = _days(end)
    n_f = _n_forbund(scale, len(world["extra_forbund"]))
    forbund: list[dict] = []
    rows: list[dict] = []

    def add_insats(fi: int, spec: dict, kapacitet: float | None) -> None:
        t = types[spec["typ"]]
        start = _days(spec["start"])
        slut = _days(spec["slut"]) if spec.get("slut") else -1
        if start > end_d - 60:  # not started (or barely) at the export: not in the register yet
            return
        if slut > end_d:
            slut = -1
        rows.append(
            {
                "forbund": fi,
                "id": spec["id"],
                "namn": spec["namn"],
                "typ": spec["typ"],
                "start": start,
                "slut": slut,
                "arsplatser": spec.get("arsplatser"),
                "kapacitet": float(
                    kapacitet if kapacitet is not None else (spec.get("arsplatser") or spec.get("kapacitet"))
                ),
                "provotid": int(spec.get("provotid", t["provotid"])),
                "malutfall": spec.get("malutfall", DEFAULT_MAL),
                "steg": bool(spec.get("steg", t["steg"])),
                "aktiviteter": bool(t["aktiviteter"]),
                "median": float(t["median_dagar"]),
                "sigma": float(t["sigma"]),
                "kostnad": float(t["kostnad_per_plats"]),
                "verksamhet": spec.get("verksamhet", t["verksamhet"]),
                "remittent": t["remittent"],
                "base": fi < 3,
            }
        )

    for fi, f in enumerate(world["base_forbund"]):
        kommuner = [
            {
                "namn": k["namn"],
                "kod": k["kod"],
                "invanare": k["invanare"],
                "finansiar": k.get("finansiar") or _finansiar_name(k["namn"]),
                "distrikt": k.get("distrikt", 1),
            }
            for k in f["kommuner"]
        ]
        forbund.append(
            {"namn": f["namn"], "slug": f["slug"], "region": f["region"], "format": f["format"], "kommuner": kommuner}
        )
        for spec in f["insatser"]:
            add_insats(fi, spec, None)

    extra_formats = ["csv_cp1252", "csv_utf8_bom", "csv_cp1252", "csv_utf8_bom", "csv_cp1252", "xlsx"]
    used_ids = {r["id"] for r in rows}
    type_keys = list(types)
    type_w = np.array([types[k]["vikt"] for k in type_keys])
    max_extra_ins = 3 + max(1, round(math.sqrt(scale)))
    for j, f in enumerate(world["extra_forbund"][: n_f - 3]):
        fi = len(forbund)
        kommuner = []
        for k in f["kommuner"]:
            namn, kod, inv = k[0], k[1], k[2]
            fin = k[3] if len(k) > 3 else _finansiar_name(namn)
            distrikt = 1 + int(inv // 120_000)
            kommuner.append({"namn": namn, "kod": kod, "invanare": inv, "finansiar": fin, "distrikt": distrikt})
        forbund.append(
            {
                "namn": f["namn"],
                "slug": _slug(f["namn"]),
                "region": f["region"],
                "format": extra_formats[j % len(extra_formats)],
                "kommuner": kommuner,
            }
        )
        orter = f.get("orter") or [k["namn"] for k in sorted(kommuner, key=lambda k: -k["invanare"])]
        pop = sum(k["invanare"] for k in kommuner)
        n_ins = int(rng.integers(3, max_extra_ins + 1))
        first = ["SOT" if rng.random() < 0.5 else "SAMV", "AC" if rng.random() < 0.6 else "ARBT"]
        chosen = first + list(rng.choice(type_keys, size=n_ins - 2, p=type_w / type_w.sum()))
        per_type: dict[str, int] = {}
        for typ in chosen:
            n_same = per_type.get(typ, 0)
            per_type[typ] = n_same + 1
            ort = orter[n_same % len(orter)]
            suffix = "" if n_same < len(orter) else f" {n_same // len(orter) + 1}"
            namn = types[typ]["namn"].format(ort=ort) + suffix
            base_id = f"{typ}-{re.sub(r'[^A-Z0-9]', '', _ascii(ort).upper())[:12]}"
            iid, k = base_id, 2
            while iid in used_ids:
                iid, k = f"{base_id}-{k}", k + 1
            used_ids.add(iid)
            year = int(rng.integers(2008, 2021)) if rng.random() < 0.7 else int(rng.integers(2021, 2025))
            start = dt.date(year, int(rng.integers(1, 13)), 1)
            slut = None
            if rng.random() < 0.12:
                lo = max(start + dt.timedelta(days=400), dt.date(2022, 6, 30))
                slut = lo + dt.timedelta(days=int(rng.integers(0, 1200)))
                slut = dt.date(slut.year, slut.month, 1) - dt.timedelta(days=1)  # the end of a month
            mal = DEFAULT_MAL
            if types[typ]["aktiviteter"] and rng.random() < 0.3:
                mal = DEFAULT_MAL + ", aktivt_arbetssokande"
            steg = typ == "SOT" or (typ == "SAMV" and rng.random() < 0.5)
            # capacity is decided later (proportional share of the scaled participants)
            ort_pop = next((k["invanare"] for k in kommuner if k["namn"] == ort), pop / len(orter))
            weight = types[typ]["vikt"] * math.sqrt(pop / 50_000) * (ort_pop / pop) ** 0.3 * rng.lognormal(0, 0.3)
            spec = {"id": iid, "typ": typ, "namn": namn, "start": start, "slut": slut, "steg": steg, "malutfall": mal}
            add_insats(fi, spec, float(weight))
            if rows and rows[-1]["id"] == iid and rng.random() < 0.05:
                rows[-1]["no_arsplatser"] = True

    ansvar = rng.choice(np.arange(1100, 9900, 10), size=len(forbund), replace=False)
    for f, a in zip(forbund, ansvar, strict=True):
        f["ansvar"] = str(int(a))
    for r in rows:
        r.setdefault("no_arsplatser", False)
    ins = pl.DataFrame(rows, infer_schema_length=None)
    return _World(forbund=forbund, ins=ins, types=types, raw=world)


# ----------------------------------------------------------------------------- episodes


def _day_weights(end_d: int, holidays: np.ndarray) -> np.ndarray:
    start = _days(DATA_START)
    days = np.arange(start, end_d + 1)
    _, m, _ = _ymd(days)
    w = MONTH_WEIGHT[m - 1].copy()
    wd = (days + 3) % 7
    w[wd >= 5] *= 0.03
    w[np.isin(days, holidays)] *= 0.05
    return w


def _durations(rng, kind: np.ndarray, median: np.ndarray, sigma: np.ndarray, provotid: np.ndarray) -> np.ndarray:
    n = len(kind)
    reg = np.rint(rng.lognormal(np.log(median), sigma)).astype(np.int64)
    reg = np.clip(reg, provotid, MAX_DAYS)
    drop = (provotid * rng.uniform(0.05, 0.98, n)).astype(np.int64)
    drop = np.minimum(drop, provotid - 1)
    fel = rng.integers(0, 9, n)
    return np.where(kind == 2, fel, np.where(kind == 1, drop, reg))


def _episodes(
    rng: np.random.Generator, world: _World, scale: float, end: dt.date, holidays: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Chains (person-slots in one insats) and their episodes, without persons."""
    ins = world.ins
    end_d = _days(end)
    data_start = _days(DATA_START)
    start = ins["start"].to_numpy()
    slut = ins["slut"].to_numpy()
    win_a = np.maximum(start, data_start)
    win_b = np.where(slut >= 0, np.minimum(slut, end_d), end_d)
    window = np.maximum(win_b - win_a + 1, 0)
    median, sigma = ins["median"].to_numpy(), ins["sigma"].to_numpy()
    mean_dur = median * np.exp(sigma**2 / 2)
    base = ins["base"].to_numpy()
    cap = ins["kapacitet"].to_numpy().astype(float)
    expected = np.where(base, cap * OCCUPANCY * window / mean_dur, 0.0)
    e_base = expected.sum()
    has_extra = (~base).any()
    if not has_extra:
        expected = expected * scale
    else:
        raw = np.where(base, 0.0, cap * window / mean_dur)
        extra_total = max(scale - 1.0, 0.0) * e_base
        expected = np.where(base, expected, raw / raw.sum() * extra_total)
        cap = np.where(base, cap, expected * mean_dur / np.maximum(window, 1) / OCCUPANCY)
    n_chain = rng.poisson(expected)
    registered = ins["arsplatser"].cast(pl.Float64).fill_null(-1).to_numpy()
    arsplatser = np.where(base, registered, np.maximum(np.rint(cap), 3))
    arsplatser = np.where(ins["no_arsplatser"].to_numpy(), -1, arsplatser)
    world.ins = ins.with_columns(
        pl.Series("kapacitet", cap), pl.Series("arsplatser_reg", arsplatser), pl.Series("n_chain", n_chain)
    )

    ci = np.repeat(np.arange(len(ins)), n_chain)
    n = len(ci)
    w = _day_weights(end_d, holidays)
    cum = np.cumsum(w)
    lo_idx, hi_idx = win_a[ci] - data_start, win_b[ci] - data_start
    lo = np.where(lo_idx > 0, cum[np.maximum(lo_idx - 1, 0)], 0.0)
    hi = cum[hi_idx]
    u = lo + rng.random(n) * (hi - lo)
    s1 = np.clip(np.searchsorted(cum, u, side="left"), lo_idx, hi_idx) + data_start

    prov = ins["provotid"].to_numpy()[ci]
    kind1 = _pick(rng, [0.918, 0.07, 0.012], n)  # 0 regular, 1 early dropout, 2 felregistrering
    d1 = _durations(rng, kind1, median[ci], sigma[ci], prov)
    stop = np.where(slut[ci] >= 0, np.minimum(slut[ci], end_d), end_d)
    t1 = s1 + d1
    ins_closed = slut[ci] >= 0
    cut1 = ins_closed & (t1 > slut[ci])
    t1 = np.where(cut1, slut[ci], t1)
    ended1 = t1 <= end_d
    t1 = np.where(ended1, t1, -1)

    # second episodes (a person comes back; after Felregistrering usually at once)
    p2 = np.where(kind1 == 2, 0.6, 0.07)
    gap = np.where(kind1 == 2, rng.integers(1, 7, n), rng.integers(60, 541, n))
    s2 = t1 + gap
    has2 = ended1 & (rng.random(n) < p2) & (s2 <= stop)
    # no second episode on a weekend: move to Monday, if still inside the window
    s2 = _next_weekday(s2)
    has2 &= s2 <= stop
    kind2 = _pick(rng, [0.93, 0.07], n)
    d2 = _durations(rng, kind2, median[ci], sigma[ci], prov)
    t2 = s2 + d2
    cut2 = ins_closed & (t2 > slut[ci])
    t2 = np.where(cut2, slut[ci], t2)
    ended2 = t2 <= end_d
    t2 = np.where(ended2, t2, -1)

    chains = pl.DataFrame({"chain": np.arange(n), "ins": ci, "s_first": s1})
    sel = np.flatnonzero(has2)
    ep = pl.DataFrame(
        {
            "chain": np.concatenate([np.arange(n), sel]),
            "nr": np.concatenate([np.zeros(n, np.int8), np.ones(len(sel), np.int8)]),
            "ins": np.concatenate([ci, ci[sel]]),
            "s": np.concatenate([s1, s2[sel]]),
            "t": np.concatenate([t1, t2[sel]]),
            "kind": np.concatenate([kind1, kind2[sel]]).astype(np.int8),
            "cut": np.concatenate([cut1, cut2[sel]]),
        }
    ).sort(["chain", "nr"])
    return chains, ep


# ----------------------------------------------------------------------------- persons


@dataclass
class _Persons:
    pnr12: pl.Series  # 'ÅÅÅÅMMDDXXXX'
    birth: np.ndarray  # days
    man: np.ndarray  # bool
    utb: np.ndarray  # education index
    by: np.ndarray  # birth year, month, day
    bm: np.ndarray
    bd: np.ndarray
    pnr_rank: np.ndarray  # position of the personnummer in sorted order


def _person_space(rng: np.random.Generator) -> tuple[_Persons, np.ndarray]:
    """All synthetic personnummer (birth 1960-2004, birth numbers 980-999), in weighted random order."""
    b0, b1 = _days(BIRTH_FIRST), _days(BIRTH_LAST)
    bdays = np.arange(b0, b1 + 1)
    birth = np.repeat(bdays, len(SERIALS))
    serial = np.tile(SERIALS, len(bdays))
    y, m, d = _ymd(birth)
    man = serial % 2 == 1
    samord = rng.random(len(birth)) < 0.004
    dd = d + np.where(samord, 60, 0)
    yy = y % 100
    digits = np.stack(
        [yy // 10, yy % 10, m // 10, m % 10, dd // 10, dd % 10, serial // 100, serial // 10 % 10, serial % 10], axis=1
    )
    check = _luhn(digits)
    pnr = (
        pl.DataFrame({"y": y, "m": m, "d": dd, "s": serial, "c": check})
        .select(
            pl.col("y").cast(pl.String)
            + pl.col("m").cast(pl.String).str.zfill(2)
            + pl.col("d").cast(pl.String).str.zfill(2)
            + pl.col("s").cast(pl.String)
            + pl.col("c").cast(pl.String)
        )
        .to_series()
        .alias("pnr")
    )
    # Participants are mostly 20-50 years old; somewhat more women.
    wy = np.exp(-(((y - 1988) / 13.0) ** 2)) + 0.12
    wsex = np.where(man, 1.0, 1.2)
    keys = np.log(rng.random(len(birth))) / (wy * wsex)
    order = np.argsort(-keys, kind="stable")
    utb = _pick(rng, UTB_P, len(birth))
    pnr_rank = np.empty(len(birth), np.int64)
    pnr_rank[np.lexsort((serial, dd, m, y))] = np.arange(len(birth))
    persons = _Persons(pnr12=pnr, birth=birth, man=man, utb=utb, by=y, bm=m, bd=d, pnr_rank=pnr_rank)
    return persons, order


def _pnr_forms(rng: np.random.Generator, pnr12: pl.Series, p_short: float = 0.02, p_nodash: float = 0.02) -> pl.Series:
    """`ÅÅÅÅMMDD-XXXX` mostly, sometimes `ÅÅMMDD-XXXX` or `ÅÅÅÅMMDDXXXX` (all born 1960-2004, so `-`)."""
    u = rng.random(len(pnr12))
    df = pl.DataFrame({"p": pnr12, "u": u})
    return df.select(
        pl.when(pl.col("u") < p_short)
        .then(pl.col("p").str.slice(2, 6) + "-" + pl.col("p").str.slice(8, 4))
        .when(pl.col("u") < p_short + p_nodash)
        .then(pl.col("p"))
        .otherwise(pl.col("p").str.slice(0, 8) + "-" + pl.col("p").str.slice(8, 4))
    ).to_series()


def _dash(pnr12: pl.Series) -> pl.Series:
    return pnr12.str.slice(0, 8) + "-" + pnr12.str.slice(8, 4)


# ----------------------------------------------------------------------------- SUS attributes


def _attributes(rng: np.random.Generator, ep: pl.DataFrame, world: _World) -> pl.DataFrame:
    n = ep.height
    ins = world.ins
    kind = ep["kind"].to_numpy()
    t = ep["t"].to_numpy()
    s = ep["s"].to_numpy()
    ii = ep["ins"].to_numpy()
    prov = ins["provotid"].to_numpy()[ii]
    cut = ep["cut"].to_numpy()
    ended = t >= 0
    profiles = list(REMITTENT_PROFILES)
    prof_idx = np.array([profiles.index(p) for p in ins["remittent"].to_list()])[ii]
    rem = _pick_rows(rng, np.array([REMITTENT_PROFILES[p] for p in profiles]), prof_idx)

    fore1 = _pick_rows(rng, FORE_BY_REMITTENT, rem)
    sec_vals, sec_p = SECOND_SOURCE
    fore2 = np.array(sec_vals)[_pick(rng, sec_p, n)]
    fore2 = np.where((rng.random(n) < 0.22) & (fore1 != F_INGEN) & (fore2 != fore1), fore2, -1)
    tid = _pick(rng, TID_P, n)
    tid = np.where(fore1 == F_INGEN, len(TID) - 1, tid)

    # end reason
    early = ended & (t - s < prov) & (kind != 2) & ~cut
    reason = np.full(n, -1)
    reg_reason = _pick(rng, [0.78, 0.05, 0.08, 0.03, 0.04, 0.02], n)
    early_reason = np.array([4, 5, 1, 0])[_pick(rng, [0.55, 0.15, 0.15, 0.15], n)]
    reason = np.where(ended, np.where(early, early_reason, reg_reason), -1)
    reason = np.where(ended & cut, 0, reason)
    reason = np.where(kind == 2, 6, reason)

    # sysselsättning efter
    syss = np.full(n, -1)
    draw = {
        0: ([0, 1, 2, 3, 4, 5, -1], [0.30, 0.13, 0.17, 0.15, 0.09, 0.09, 0.07]),
        1: ([4, -1], [0.6, 0.4]),
        2: ([2, -1], [0.6, 0.4]),
        3: ([0, 1, 2, 3, 5, -1], [0.1, 0.05, 0.1, 0.1, 0.15, 0.5]),
        4: ([5, 3, -1], [0.3, 0.1, 0.6]),
        5: ([5, 3, -1], [0.3, 0.1, 0.6]),
    }
    for r, (vals, p) in draw.items():
        m = reason == r
        syss[m] = np.array(vals)[_pick(rng, p, int(m.sum()))]
    early_syss = np.array([5, 4, -1])[_pick(rng, [0.25, 0.15, 0.6], n)]
    syss = np.where(early & (reason == 0), early_syss, syss)

    # försörjning efter
    eft1, eft2 = np.full(n, -1), np.full(n, -1)
    for sv, (opts, p) in EFTER_BY_SYSS.items():
        m = ended & (kind != 2) & (syss == sv)
        k = int(m.sum())
        if not k:
            continue
        o = np.array(opts)[_pick(rng, p, k)]
        a, b = o[:, 0], o[:, 1]
        same = a == -2
        eft1[m] = np.where(same, fore1[m], a)
        eft2[m] = np.where(same, fore2[m], b)
    empty_p = np.where(np.isin(reason, [4, 5]), 0.45, 0.12)
    missing = ~ended | (kind == 2) | (rng.random(n) < empty_p)
    eft1 = np.where(missing, -1, eft1)
    eft2 = np.where(missing, -1, eft2)
    eft2 = np.where(eft2 == eft1, -1, eft2)

    return ep.with_columns(
        pl.Series("rem", rem),
        pl.Series("fore1", fore1),
        pl.Series("fore2", fore2),
        pl.Series("tid", tid),
        pl.Series("reason", reason),
        pl.Series("syss", syss),
        pl.Series("eft1", eft1),
        pl.Series("eft2", eft2),
        pl.Series("early", early),
    )


# ----------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    seed: int = 42,
    scale: float = 1.0,
    end: dt.date = dt.date(2026, 10, 31),
) -> list[Path]:
    """Write synthetic exports of all ten source kinds into `out_dir`; return the paths written.

    Same seed + scale + end → byte-identical files. See the module docstring for what the
    data looks like and the form of each file.
    """
    if scale <= 0:
        raise ValueError("scale must be > 0")
    if end < DATA_START + dt.timedelta(days=180):
        raise ValueError(f"end must be on or after {DATA_START + dt.timedelta(days=180)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export_date = end + dt.timedelta(days=2)
    stamp = dt.datetime.combine(export_date, dt.time(7, 15, 0))
    d_tag = export_date.isoformat()
    streams = [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(12)]
    (r_world, r_ep, r_pers, r_attr, r_steg, r_anon, r_act, r_att, r_pay, r_money, r_form, _) = streams
    holidays = _swedish_holidays(range(DATA_START.year, end.year + 1))
    out = _Out(out_dir)
    split = scale > SPLIT_SCALE

    world = _build_world(r_world, scale, end)
    chains, ep = _episodes(r_ep, world, scale, end, holidays)
    ins = world.ins

    # ---- persons: chains get people in order of their first start; extra people are reserved
    persons, order = _person_space(r_pers)
    n_space = len(order)
    n_act_chains = int(ins.filter(pl.col("aktiviteter"))["n_chain"].sum())
    n_nonins = round(0.3 * n_act_chains)
    n_coapp = round(0.16 * chains.height) + 10
    n_reserved = min(n_nonins + n_coapp, n_space // 4)
    reserved = order[:n_reserved]
    pool = order[n_reserved:]
    rank = np.empty(chains.height, np.int64)
    rank[np.lexsort((chains["chain"].to_numpy(), chains["s_first"].to_numpy()))] = np.arange(chains.height)
    chain_person = pool[rank % len(pool)]
    ep = ep.with_columns(pl.Series("person", chain_person[ep["chain"].to_numpy()]))
    # an episode overlapping an earlier one of the same person in the same insats is dropped
    group = ep["person"].to_numpy() * ins.height + ep["ins"].to_numpy()
    clash = _overlaps_earlier(group, ep["s"].to_numpy(), ep["t"].to_numpy(), ep["chain"].to_numpy())
    ep = ep.filter(pl.Series(~clash))
    ep = _attributes(r_attr, ep, world)

    ins_id = ins["id"]
    ins_namn = ins["namn"]
    f_of_ins = ins["forbund"].to_numpy()
    f_namn = pl.Series([f["namn"] for f in world.forbund], dtype=pl.String)
    person = ep["person"].to_numpy()
    pnr12_ep = persons.pnr12.gather(person)

    # ---- insatser
    ins_out = pl.DataFrame(
        {
            "Förbund": f_namn.gather(f_of_ins),
            "Insats-ID": ins_id,
            "Insatsnamn": ins_namn,
            "Startdatum": _date_series(ins["start"].to_numpy()),
            "Slutdatum": _date_series(ins["slut"].to_numpy()),
            "Årsplatser": pl.Series(ins["arsplatser_reg"].to_numpy())
            .cast(pl.Int64)
            .cast(pl.String)
            .replace("-1", None),
            "Provotid dagar": ins["provotid"].cast(pl.String),
            "Målutfall": ins["malutfall"],
            **_registration_columns(world),
        }
    )
    out.csv(f"insatser_{d_tag}.csv", ins_out)

    # ---- sus_deltagare, one file per förbund
    sus = pl.DataFrame(
        {
            "f": f_of_ins[ep["ins"].to_numpy()],
            "Förbund": f_namn.gather(f_of_ins[ep["ins"].to_numpy()]),
            "Insats-ID": ins_id.gather(ep["ins"].to_numpy()),
            "Insatsnamn": ins_namn.gather(ep["ins"].to_numpy()),
            "Personnummer": _pnr_forms(r_form, pnr12_ep),
            "Kön": _labels(KON, persons.man[person].astype(np.int64)),
            "Startdatum": _date_series(ep["s"].to_numpy()),
            "Slutdatum": _date_series(ep["t"].to_numpy()),
            "Avslutsanledning": _labels(AVSLUT, ep["reason"].to_numpy()),
            "Sysselsättning efter": _labels(SYSS, ep["syss"].to_numpy()),
            "Försörjning före": _fors_text(ep["fore1"].to_numpy(), ep["fore2"].to_numpy()),
            "Försörjning efter": _fors_text(ep["eft1"].to_numpy(), ep["eft2"].to_numpy()),
            "Tid i offentlig försörjning": _labels(TID, ep["tid"].to_numpy()),
            "Utbildningsnivå": _labels(UTB, persons.utb[person]),
            "Remittent": _labels(REMITTENT, ep["rem"].to_numpy()),
            "_s": ep["s"],
            "_t": ep["t"],
        }
    ).sort(["f", "Insats-ID", "_s", "Personnummer"])
    for fi, f in enumerate(world.forbund):
        part = sus.filter(pl.col("f") == fi)
        body = part.select(SUS_COLUMNS)
        name = f"sus_deltagare_{f['slug']}_{d_tag}"
        if f["format"] == "xlsx":
            path = out_dir / f"{name}.xlsx"
            _write_sus_xlsx(path, body, part["_s"].to_numpy(), part["_t"].to_numpy(), stamp)
            out.paths.append(path)
        elif f["format"] == "csv_cp1252":
            out.csv(f"{name}.csv", body, sep=";", encoding="cp1252", crlf=True)
        else:
            out.csv(f"{name}.csv", body, sep=",", bom=True, crlf=True)
    del sus, part, body

    # ---- sus_anonyma
    _write_anonyma(r_anon, out, world, end, d_tag)

    # ---- stegmatning
    _write_steg(r_steg, out, world, ep, pnr12_ep, d_tag)

    # ---- Pro Capita
    _write_procapita(r_act, r_att, r_pay, out, world, ep, persons, reserved, n_nonins, end, holidays, split, d_tag)

    # ---- money
    _write_money(r_money, out, world, end, split, d_tag)
    return out.paths


def _registration_columns(world: _World) -> dict[str, pl.Series]:
    """The register's optional columns for Uppföljning Finsam: the budgeted participants are the
    people a year of the registered årsplatser takes at the type's mean duration (none without
    årsplatser), the inriktning is the type's verksamhet, the målgrupp comes from world.yml.
    No random draws, so the other files stay as they were."""
    ins = world.ins
    places = ins["arsplatser_reg"].to_numpy().astype(float)
    mean_dur = ins["median"].to_numpy() * np.exp(ins["sigma"].to_numpy() ** 2 / 2)
    budgeted = np.where(places > 0, np.rint(places * 365.25 / mean_dur), -1).astype(np.int64)
    return {
        "Budgeterat antal deltagare": pl.Series(budgeted).cast(pl.String).replace("-1", None),
        "Inriktning": ins["verksamhet"],
        "Målgrupp": pl.Series([world.raw["malgrupper"][t] for t in ins["typ"].to_list()], dtype=pl.String),
    }


# ----------------------------------------------------------------------------- sus_anonyma / steg


def _year_overlap(start: int, slut: int, year: int, end_d: int) -> bool:
    y0, y1 = _days(dt.date(year, 1, 1)), min(_days(dt.date(year, 12, 31)), end_d)
    stop = slut if slut >= 0 else end_d
    return start <= y1 and stop >= y0


def _write_anonyma(rng, out: _Out, world: _World, end: dt.date, d_tag: str) -> None:
    ins = world.ins
    end_d = _days(end)
    rows = []
    for r in ins.iter_rows(named=True):
        for year in range(DATA_START.year, end.year + 1):
            if not _year_overlap(r["start"], r["slut"], year, end_d) or rng.random() > 0.6:
                continue
            lam = max(r["kapacitet"], 5) * 0.03 * (1.0 if year < end.year else end.month / 12)
            k, m = int(rng.poisson(lam * 1.2)), int(rng.poisson(lam))
            rows.append((year, world.forbund[r["forbund"]]["namn"], r["id"], k, m))
    df = pl.DataFrame(rows, schema=["År", "Förbund", "Insats-ID", "Kvinnor", "Män"], orient="row")
    df = df.sort(["År", "Förbund", "Insats-ID"])
    out.csv(f"sus_anonyma_{d_tag}.csv", df, sep=",", bom=True, crlf=True)


def _write_steg(rng, out: _Out, world: _World, ep: pl.DataFrame, pnr12_ep: pl.Series, d_tag: str) -> None:
    ins = world.ins
    steg_ins = ins["steg"].to_numpy()
    ii = ep["ins"].to_numpy()
    n = ep.height
    reason = ep["reason"].to_numpy()
    ended = ep["t"].to_numpy() >= 0
    syss = ep["syss"].to_numpy()
    early = ep["early"].to_numpy()
    has_start = steg_ins[ii] & (reason != 6) & (rng.random(n) < 0.92)
    p_end = np.where(early, 0.5, 0.88)
    has_end = has_start & ended & (reason != 3) & (rng.random(n) < p_end)
    s0 = np.array([1, 2, 3])[_pick(rng, [0.55, 0.35, 0.10], n)]
    delta = np.array([-1, 0, 1, 2, 3])[_pick(rng, [0.05, 0.25, 0.40, 0.25, 0.05], n)]
    s1 = np.clip(s0 + delta, 1, 4)
    s1 = np.where((syss == 0) & (rng.random(n) < 0.7), 4, s1)
    s1 = np.where(early, np.minimum(s1, s0), s1)
    as_name = rng.random(2 * n) < 0.10
    keep = np.concatenate([has_start, has_end])
    row_ep = np.concatenate([np.arange(n), np.arange(n)])[keep]
    steps = np.concatenate([s0, s1])[keep]
    step_txt = pl.DataFrame({"n": steps, "a": as_name[keep]}).select(
        pl.when(pl.col("a")).then(_labels(STEG_NAMN, steps - 1)).otherwise(pl.col("n").cast(pl.String))
    )
    f_of_ins = ins["forbund"].to_numpy()
    df = pl.DataFrame(
        {
            "f": f_of_ins[ii[row_ep]],
            "Personnummer": _dash(pnr12_ep.gather(row_ep)),
            "Insats-ID": ins["id"].gather(ii[row_ep]),
            "Startdatum": _date_series(ep["s"].to_numpy()[row_ep]),
            "Mättillfälle": _labels(["Start", "Avslut"], (np.flatnonzero(keep) >= n).astype(np.int64)),
            "Steg": step_txt.to_series(),
            "_o": np.flatnonzero(keep) % n * 2 + (np.flatnonzero(keep) >= n),
        }
    )
    df = df.sort(["f", "Insats-ID", "Startdatum", "_o"])
    for fi in sorted(set(ins.filter(pl.col("steg"))["forbund"].to_list())):  # a file even when empty
        part = df.filter(pl.col("f") == fi).select(["Personnummer", "Insats-ID", "Startdatum", "Mättillfälle", "Steg"])
        out.csv(f"stegmatning_{world.forbund[fi]['slug']}_{d_tag}.csv", part)


# ----------------------------------------------------------------------------- Pro Capita


def _yearly_files(kind: str, ext: str, years: list[int], end: dt.date, split: bool) -> dict[int | None, str]:
    export = end + dt.timedelta(days=2)
    if not split:
        return {None: f"{kind}_{export.isoformat()}.{ext}"}
    names = {}
    for y in years:
        fdate = min(dt.date(y + 1, 1, 12), export)
        names[y] = f"{kind}_{fdate.isoformat()}.{ext}"
    return names


def _write_procapita(
    rng_act, rng_att, rng_pay, out: _Out, world: _World, ep: pl.DataFrame, persons: _Persons,
    reserved: np.ndarray, n_nonins: int, end: dt.date, holidays: np.ndarray, split: bool, d_tag: str,
) -> None:  # fmt: skip
    ins = world.ins
    end_d = _days(end)
    data_start = _days(DATA_START)
    years = list(range(DATA_START.year, end.year + 1))
    act_ins = ins["aktiviteter"].to_numpy()
    ii = ep["ins"].to_numpy()

    # ---- activities: insats participants + municipal clients without Insats-ID
    m = act_ins[ii] & (ep["reason"].to_numpy() != 6)
    a_person = ep["person"].to_numpy()[m]
    a_s = ep["s"].to_numpy()[m]
    a_t = ep["t"].to_numpy()[m]
    a_ins = ii[m]
    n_ni = min(n_nonins, max(len(reserved) - 1, 0))
    ni_person = reserved[len(reserved) - n_ni :] if n_ni else reserved[:0]
    ni_s = _days(DATA_START) + rng_act.integers(0, end_d - data_start - 20, n_ni)
    ni_t = ni_s + np.rint(rng_act.lognormal(np.log(150), 0.5, n_ni)).astype(np.int64)
    ni_t = np.where(ni_t <= end_d, ni_t, -1)
    ni_ins = np.full(n_ni, -1)
    person_all = np.concatenate([a_person, ni_person])
    s_all = np.concatenate([a_s, ni_s])
    t_all = np.concatenate([a_t, ni_t])
    ins_all = np.concatenate([a_ins, ni_ins])
    aktiviteter = world.raw["aktiviteter"]
    akt_namn = [a["namn"] for a in aktiviteter]
    acts = _activities(rng_act, aktiviteter, person_all, s_all, t_all, ins_all, end_d)
    # one person never has two activities at once
    clash = _overlaps_earlier(
        acts["person"].to_numpy(), acts["start"].to_numpy(), acts["slut"].to_numpy(), acts["order"].to_numpy()
    )
    acts = acts.filter(pl.Series(~clash))
    ins_idx = acts["ins"].to_numpy()
    act_out = pl.DataFrame(
        {
            "Personnummer": _dash(persons.pnr12.gather(acts["person"].to_numpy())),
            "Aktivitet": _labels(akt_namn, acts["typ"].to_numpy()),
            "Insats-ID": _labels(ins["id"].to_list(), ins_idx),
            "Beslutsdatum": _date_series(acts["beslut"].to_numpy()),
            "Startdatum": _date_series(acts["start"].to_numpy()),
            "Planerat slutdatum": _date_series(acts["plan"].to_numpy()),
            "Slutdatum": _date_series(acts["slut"].to_numpy()),
            "Status": _labels(STATUS, acts["status"].to_numpy()),
            "Planerade timmar per vecka": acts["tim"].cast(pl.String),
        }
    )
    out.csv(f"procapita_aktiviteter_{d_tag}.csv", act_out, encoding="cp1252", crlf=True)

    # ---- attendance, in chunks of activities
    names = _yearly_files("procapita_narvaro", "csv", years, end, split)
    handles = {}
    try:
        for key, name in names.items():
            path = out.out_dir / name
            handles[key] = path.open("wb")
            out.paths.append(path)
        header_done: set[int | None] = set()

        def write(key: int | None, frame: pl.DataFrame) -> None:
            header = key not in header_done
            _Out._write_frame(handles[key], frame, sep=";", encoding="cp1252", bom=False, crlf=True, header=header)
            header_done.add(key)

        for chunk in _attendance(rng_att, acts, persons, akt_namn, end_d, holidays):
            if split:
                yr = chunk["_y"].to_numpy()
                for y in np.unique(yr):
                    part = chunk.filter(pl.col("_y") == y).drop("_y")
                    write(int(y), part)
            else:
                write(None, chunk.drop("_y"))
        for key in handles:
            if key not in header_done:
                write(key, pl.DataFrame(schema=dict.fromkeys(NARVARO_COLUMNS, pl.String)))
    finally:
        for fh in handles.values():
            fh.close()

    # ---- ekonomiskt bistånd
    pay = _payments(rng_pay, world, ep, persons, reserved, end)
    names = _yearly_files("procapita_ekonomiskt_bistand", "txt", years, end, split)
    year_of_row = pay["month"] // 12 + 1970  # rows are sorted by month
    for key, name in names.items():
        lo, hi = (0, len(year_of_row)) if key is None else np.searchsorted(year_of_row, [key, key + 1])
        path = out.out_dir / name
        with path.open("wb") as fh:
            for off in range(lo, max(hi, lo + 1), 1_000_000):
                part = _payment_frame(pay, persons, slice(off, min(off + 1_000_000, hi)))
                _Out._write_frame(fh, part, sep="\t", encoding="cp1252", bom=False, crlf=True, header=off == lo)
        out.paths.append(path)


def _activities(rng, aktiviteter: list[dict], person, s, t, ins_idx, end_d: int) -> pl.DataFrame:
    """Up to three consecutive activities inside each episode [s, t] (t < 0 = ongoing)."""
    n = len(person)
    stop = np.where(t >= 0, t, end_d)
    cur = _next_weekday(s + rng.integers(0, 15, n))
    alive = np.ones(n, bool)
    frames = []
    planned_choices = np.array([56, 70, 84, 91, 112])
    aw = np.array([a["vikt"] for a in aktiviteter])
    for k in range(3):
        p_next = [1.0, 0.55, 0.35][k]
        act = alive & (cur <= stop) & (cur <= end_d) & (rng.random(n) < p_next)
        typ = _pick(rng, aw, n)
        opts = [np.array(a["timmar"]) for a in aktiviteter]
        tim_draw = np.empty(n, np.int64)
        for ti, o in enumerate(opts):
            mm = typ == ti
            tim_draw[mm] = o[rng.integers(0, len(o), int(mm.sum()))]
        planned = planned_choices[rng.integers(0, len(planned_choices), n)]
        plan_end = cur + planned
        avbruten = rng.random(n) < 0.13
        early_end = cur + (planned * rng.uniform(0.1, 0.8, n)).astype(np.int64)
        a_end = np.where(avbruten, early_end, plan_end + rng.integers(-14, 9, n))
        a_end = np.maximum(a_end, cur)
        a_end = np.where((t >= 0) & (a_end > t), t, a_end)
        ongoing = a_end > end_d
        status = np.where(ongoing, 0, np.where(avbruten, 2, 1))
        slut = np.where(ongoing, -1, a_end)
        beslut = np.maximum(cur - rng.integers(3, 22, n), _days(DATA_START))
        plan = np.where(plan_end <= end_d, plan_end, -1)
        idx = np.flatnonzero(act)
        frames.append(
            pl.DataFrame(
                {
                    "order": idx * 3 + k,
                    "person": person[idx],
                    "ins": ins_idx[idx],
                    "typ": typ[idx],
                    "tim": tim_draw[idx],
                    "beslut": beslut[idx],
                    "start": cur[idx],
                    "plan": plan[idx],
                    "slut": slut[idx],
                    "status": status[idx],
                }
            )
        )
        alive = act & ~ongoing
        cur = _next_weekday(a_end + rng.integers(1, 22, n))
    return pl.concat(frames).sort("order")


_MASKS = {d: [m for m in range(32) if bin(m).count("1") == d] for d in range(1, 6)}


def _attendance(
    rng, acts: pl.DataFrame, persons: _Persons, akt_namn: list[str], end_d: int, holidays: np.ndarray,
    max_days: int = 4_000_000,
):  # fmt: skip
    """Attendance rows, yielded in chunks of activities (about `max_days` calendar days each)."""
    n = acts.height
    start = acts["start"].to_numpy()
    slut = acts["slut"].to_numpy()
    stop = np.where(slut >= 0, slut, end_d)
    tim = acts["tim"].to_numpy()
    dpw_of = np.clip(np.rint(tim / 5), 1, 5).astype(np.int64)  # 5 h/week: 1 day, 10: 2, ... 25-30: 5
    mask = np.empty(n, np.int64)
    for d in range(1, 6):
        mm = dpw_of == d
        opts = np.array(_MASKS[d])
        mask[mm] = opts[rng.integers(0, len(opts), int(mm.sum()))]
    hpd10 = (tim * 10) // dpw_of  # tenths of hours per scheduled day
    status = acts["status"].to_numpy()
    p_att = np.where(status == 2, rng.beta(4, 2.5, n), rng.beta(8, 1.8, n))
    ndays = np.maximum(stop - start + 1, 0)
    pnr = _dash(persons.pnr12.gather(acts["person"].to_numpy()))
    typ = acts["typ"].to_numpy()
    bounds = np.concatenate([[0], np.cumsum(ndays)])
    i = 0
    while i < n:
        j = int(np.searchsorted(bounds, bounds[i] + max_days, side="right")) - 1
        j = max(j, i + 1)
        nd = ndays[i:j]
        a_idx = np.repeat(np.arange(i, j), nd)
        off = np.arange(len(a_idx)) - np.repeat(bounds[i:j] - bounds[i], nd)
        day = start[a_idx] + off
        wd = (day + 3) % 7
        keep = (wd < 5) & ((mask[a_idx] >> np.minimum(wd, 4)) & 1 == 1) & ~np.isin(day, holidays)
        a_idx, day = a_idx[keep], day[keep]
        k = len(a_idx)
        u = rng.random(k)
        present = u < p_att[a_idx]
        planned = hpd10[a_idx]
        partial = present & (rng.random(k) < 0.08)
        cut = rng.integers(1, 5, k) * 5
        narv = np.where(present, np.where(partial, np.maximum(planned - cut, 5), planned), 0)
        reason = np.where(present, -1, _pick(rng, [0.5, 0.3, 0.2], k))
        y, _, _ = _ymd(day)
        yield pl.DataFrame(
            {
                "Personnummer": pnr.gather(a_idx),
                "Aktivitet": _labels(akt_namn, typ[a_idx]),
                "Datum": _date_series(day),
                "Planerade timmar": _hours_text(planned),
                "Närvarotimmar": _hours_text(narv),
                "Frånvaroorsak": _labels(FRANVARO, reason),
                "_y": y,
            }
        )
        i = j


def _payments(rng, world: _World, ep: pl.DataFrame, persons: _Persons, reserved: np.ndarray, end: dt.date) -> dict:
    """Monthly payments as compact arrays sorted by (month, kommun, personnummer)."""
    ins = world.ins
    end_m = int(_month_index(np.array([_days(end)]))[0])
    start_m = int(_month_index(np.array([_days(DATA_START)]))[0])
    # one household per chain: from the first episode's start to the last episode's end
    ch = (
        ep.group_by("chain", maintain_order=True)
        .agg(
            pl.col("person").first(),
            pl.col("ins").first(),
            pl.col("s").first(),
            pl.col("t").last(),
            pl.col("fore1").first(),
            pl.col("fore2").first(),
            pl.col("eft1").last(),
            pl.col("eft2").last(),
            pl.col("syss").last(),
            pl.col("kind").min(),
        )
        .filter(pl.col("kind") < 2)
    )
    n = ch.height
    fore_fs = (ch["fore1"].to_numpy() == F_FSTOD) | (ch["fore2"].to_numpy() == F_FSTOD)
    take = rng.random(n) < np.where(fore_fs, 0.85, 0.06)
    ch = ch.filter(pl.Series(take))
    n = ch.height
    s, t = ch["s"].to_numpy(), ch["t"].to_numpy()
    ms, mt = _month_index(s), np.where(t >= 0, _month_index(np.maximum(t, 0)), end_m + 1000)
    m0 = np.maximum(ms - rng.integers(3, 16, n), start_m)
    m1 = np.where(t >= 0, np.minimum(mt + rng.integers(0, 13, n), end_m), end_m)
    eft_fs = (ch["eft1"].to_numpy() == F_FSTOD) | (ch["eft2"].to_numpy() == F_FSTOD)
    work = np.isin(ch["syss"].to_numpy(), [0, 1])
    # household
    coapp = rng.random(n) < 0.14
    kids = rng.random(n) < 0.3
    hh = np.where(coapp, np.where(kids, 4, 3), np.where(kids, 2, 1))
    level = rng.lognormal(np.log(8500), 0.3, n) * np.where(kids, 1.35, 1.0) * np.where(coapp, 1.6, 1.0)
    # co-applicants come from the reserved people, mostly of the other sex
    res_man, res_woman = reserved[persons.man[reserved]], reserved[~persons.man[reserved]]
    want_man = ~persons.man[ch["person"].to_numpy()] ^ (rng.random(n) < 0.1)
    co_person = np.full(n, -1)
    if len(res_man) and len(res_woman):
        k = np.arange(n)
        co_person = np.where(coapp, np.where(want_man, res_man[k % len(res_man)], res_woman[k % len(res_woman)]), -1)
    # kommun of the household: one of the förbund's kommuner, by population
    f_of = ins["forbund"].to_numpy()[ch["ins"].to_numpy()]
    kommun_lut: list[str] = []
    kommun = np.zeros(n, np.int64)
    distrikt = np.ones(n, np.int64)
    u = rng.random(n)
    u2 = rng.random(n)
    for fi, f in enumerate(world.forbund):
        mm = f_of == fi
        pops = np.array([k["invanare"] for k in f["kommuner"]], float)
        nd = np.array([k["distrikt"] for k in f["kommuner"]])
        ki = np.minimum(np.searchsorted(np.cumsum(pops / pops.sum()), u[mm]), len(pops) - 1)
        kommun[mm] = len(kommun_lut) + ki
        distrikt[mm] = 1 + (u2[mm] * nd[ki]).astype(np.int64)
        kommun_lut.extend(k["kod"] for k in f["kommuner"])

    nm = np.maximum(m1 - m0 + 1, 0)
    hi = np.repeat(np.arange(n, dtype=np.int64), nm)
    month = np.repeat(m0, nm) + (np.arange(len(hi)) - np.repeat(np.cumsum(nm) - nm, nm))
    before = month < ms[hi]
    after = month > mt[hi]
    p = np.where(
        before,
        0.9,
        np.where(
            ~after,
            0.85,
            np.where(eft_fs[hi], 0.85, np.where(work[hi], np.where(month - mt[hi] <= 2, 0.3, 0.04), 0.45)),
        ),
    )
    keep = rng.random(len(hi)) < p
    amount = level[hi] * rng.uniform(0.55, 1.25, len(hi)) * np.where(after & work[hi], 0.5, 1.0)
    hi, month, amount = hi[keep], month[keep], np.maximum(np.rint(amount[keep]), 300).astype(np.int64)
    del before, after, p, keep
    p1 = ch["person"].to_numpy()[hi]
    # a person is paid at most once a month (people are reused above scale ~100): keep the first
    _, first = np.unique(p1 * 4096 + (month - start_m), return_index=True)
    first.sort()
    hi, month, amount, p1 = hi[first], month[first], amount[first], p1[first]
    order = np.lexsort((persons.pnr_rank[p1], kommun[hi], month))
    hi, month, amount, p1 = hi[order], month[order], amount[order], p1[order]
    return {
        "month": month,
        "kommun": kommun[hi],
        "kommun_lut": kommun_lut,
        "distrikt": distrikt[hi],
        "p1": p1,
        "p2": co_person[hi],
        "hh": hh[hi],
        "amount": amount,
    }


def _payment_frame(pay: dict, persons: _Persons, sl: slice) -> pl.DataFrame:
    """Socialstyrelsen's layout for rows `sl` of the payment arrays."""
    month = pay["month"][sl]
    p1, p2 = pay["p1"][sl], pay["p2"][sl]
    has2 = p2 >= 0
    p2z = np.where(has2, p2, 0)
    y = month // 12 + 1970
    mo = month % 12 + 1

    def age(pidx):
        by, bm, bd = persons.by[pidx], persons.bm[pidx], persons.bd[pidx]
        return y - by - ((mo < bm) | ((mo == bm) & (bd > 15))).astype(np.int64)

    mask2 = pl.Series(~has2)
    return pl.DataFrame(
        {
            "Ar": pl.Series(y).cast(pl.String),
            "Manad": pl.Series(mo).cast(pl.String).str.zfill(2),
            "Kommun": pl.Series(pay["kommun_lut"], dtype=pl.String).gather(pay["kommun"][sl]),
            "Distrikt": pl.Series(pay["distrikt"][sl]).cast(pl.String).str.zfill(2),
            "Personnr1": persons.pnr12.gather(p1),
            "Kon1": pl.Series(np.where(persons.man[p1], 1, 2)).cast(pl.String),
            "Alder1": pl.Series(age(p1)).cast(pl.String),
            "Hhstatus1": pl.Series(pay["hh"][sl]).cast(pl.String),
            "Sbel": pl.Series(pay["amount"][sl]).cast(pl.String),
            "Personnr2": persons.pnr12.gather(p2z).set(mask2, None),
            "Kon2": pl.Series(np.where(persons.man[p2z], 1, 2)).cast(pl.String).set(mask2, None),
            "Alder2": pl.Series(age(p2z)).cast(pl.String).set(mask2, None),
        }
    )


# ----------------------------------------------------------------------------- money


def _write_money(rng, out: _Out, world: _World, end: dt.date, split: bool, d_tag: str) -> None:
    konton = world.raw["konton"]
    ins = world.ins
    end_d = _days(end)
    end_m = int(_month_index(np.array([end_d]))[0])
    years = list(range(DATA_START.year, end.year + 1))
    n_ins = ins.height
    start_m = _month_index(ins["start"].to_numpy())
    slut = ins["slut"].to_numpy()
    slut_m = np.where(slut >= 0, _month_index(np.maximum(slut, 0)), 10**9)
    cap = ins["kapacitet"].to_numpy()
    kostnad = ins["kostnad"].to_numpy()
    f_of = ins["forbund"].to_numpy()
    staff = np.maximum(1, np.rint(cap * kostnad * 0.72 / 540_000)).astype(np.int64)  # ~34 000 kr lön a month
    shares = np.array([0.72, 0.13, 0.07, 0.08])

    # ---- budget (full-year equivalents per insats-year, prorated for running months)
    gi, gy, gfrac = [], [], []
    for i in range(n_ins):
        for y in years:
            m_lo = (y - 1970) * 12
            run = np.arange(m_lo, m_lo + 12)
            run = run[(run >= start_m[i]) & (run <= slut_m[i])]
            if len(run):
                gi.append(i)
                gy.append(y)
                gfrac.append(len(run) / 12)
    gi, gy, gfrac = np.array(gi), np.array(gy), np.array(gfrac)
    g = len(gi)
    infl = 1.03 ** (gy - 2021)
    per_ins = rng.lognormal(0, 0.08, n_ins)
    total_fy = cap[gi] * kostnad[gi] * infl * per_ins[gi] * rng.lognormal(0, 0.04, g)
    sh = shares[None, :] * rng.lognormal(0, 0.12, (g, 4))
    sh = sh / sh.sum(axis=1, keepdims=True)
    b_fy = total_fy[:, None] * sh  # (g, 4) kr, full year
    b_dec = np.maximum(np.rint(b_fy * gfrac[:, None] / 1000) * 1000, 1000).astype(np.int64)
    f_names = [f["namn"] for f in world.forbund]
    bud_rows = {"År": [], "Förbund": [], "Insats-ID": [], "Kostnadsslag": [], "Belopp": []}
    ids = ins["id"].to_list()
    for k in range(4):
        bud_rows["År"].extend(gy.tolist())
        bud_rows["Förbund"].extend(f_names[f] for f in f_of[gi])
        bud_rows["Insats-ID"].extend(ids[i] for i in gi)
        bud_rows["Kostnadsslag"].extend([KOSTNADSSLAG[k]] * g)
        bud_rows["Belopp"].extend(b_dec[:, k].tolist())
    # administration: one Övriga kostnader row per förbund and year
    f_year_total: dict[tuple[int, int], float] = {}
    for f, y, tot in zip(f_of[gi], gy, b_dec.sum(axis=1), strict=True):
        f_year_total[(int(f), int(y))] = f_year_total.get((int(f), int(y)), 0) + int(tot)
    admin = {}
    for (f, y), tot in sorted(f_year_total.items()):
        a = int(round(tot * rng.uniform(0.05, 0.09) / 10_000) * 10_000)
        a = max(a, 50_000)
        admin[(f, y)] = a
        bud_rows["År"].append(y)
        bud_rows["Förbund"].append(f_names[f])
        bud_rows["Insats-ID"].append(None)
        bud_rows["Kostnadsslag"].append("Övriga kostnader")
        bud_rows["Belopp"].append(a)
    schema = {
        "År": pl.Int64,
        "Förbund": pl.String,
        "Insats-ID": pl.String,
        "Kostnadsslag": pl.String,
        "Belopp": pl.Int64,
    }
    budget = pl.DataFrame(bud_rows, schema=schema)
    budget = (
        budget.with_columns(pl.col("Kostnadsslag").replace_strict(KOSTNADSSLAG, list(range(4))).alias("_k"))
        .sort(["År", "Förbund", pl.col("Insats-ID").is_null(), "Insats-ID", "_k"])
        .drop("_k")
    )
    out.csv(f"budget_{d_tag}.csv", budget)

    # ---- finansiering: state 1/2 (Försäkringskassan), region 1/4, kommuner 1/4 by population
    fin_rows = []
    fin_by_fy: dict[tuple[int, int], list[tuple[str, str, int]]] = {}
    for (f, y), tot in sorted(f_year_total.items()):
        total = (tot + admin[(f, y)]) * rng.uniform(0.92, 1.0)
        total = int(round(total / 4000) * 4000)
        stat, region = total // 2, total // 4
        kom_total = total - stat - region
        fb = world.forbund[f]
        pops = np.array([k["invanare"] for k in fb["kommuner"]], float)
        kom = np.floor(kom_total * pops / pops.sum() / 1000) * 1000
        kom[np.argmax(pops)] += kom_total - kom.sum()
        items = [("stat", "Försäkringskassan", stat), ("region", fb["region"], region)]
        items += [("kommun", k["finansiar"], int(v)) for k, v in zip(fb["kommuner"], kom, strict=True)]
        fin_by_fy[(f, y)] = items
        for _, name, v in items:
            fin_rows.append((y, fb["namn"], name, int(v)))
    fin = pl.DataFrame(fin_rows, schema=["År", "Förbund", "Finansiär", "Belopp"], orient="row")
    out.csv(f"finansiering_{d_tag}.csv", fin)

    # ---- ledger
    led = _Ledger(konton)
    execf = np.clip(rng.normal(0.95, 0.06, g), 0.75, 1.12)
    fk = np.clip(execf[:, None] * rng.normal(1.0, 0.06, (g, 4)), 0.7, 1.15)  # spent / budget
    base_m = (gy - 1970) * 12
    g_f, g_i = f_of[gi], gi
    # salaries: one 5110 and one 5410 row per employee and month
    n_st = staff[gi]
    rep = np.repeat(np.arange(g), n_st * 12)
    mon = np.tile(np.arange(12), int(n_st.sum()))
    lon = b_fy[rep, 0] * 0.97 * fk[rep, 0] / 1.3142 / 12 / n_st[rep] * rng.normal(1, 0.03, len(rep))
    lon_ore = np.rint(lon * 100).astype(np.int64)
    both = np.repeat(np.arange(len(rep)), 2)  # lön and its sociala avgifter side by side
    konto = np.tile([konton["lon"][0], konton["sociala_avgifter"][0]], len(rep))
    ore = np.where(np.arange(len(both)) % 2 == 0, lon_ore[both], np.rint(lon_ore[both] * 0.3142).astype(np.int64))
    led.add(g_f[rep[both]], base_m[rep[both]] + mon[both], g_i[rep[both]], konto, ore)

    regions = [f["region"] for f in world.forbund]
    hosts = [max(f["kommuner"], key=lambda k: k["invanare"])["finansiar"] for f in world.forbund]

    def invoices(k_slag: int, lam, accounts, weights, share: float = 1.0) -> dict:
        """Invoices spread over the year: their sum is the (full-year) budget × spent share."""
        rep = np.repeat(np.arange(g), np.maximum(rng.poisson(lam), 1))
        w = rng.gamma(3.0, 1.0, len(rep))
        wsum = np.bincount(rep, weights=w, minlength=g)
        amt = b_fy[rep, k_slag] * share * fk[rep, k_slag] * w / wsum[rep]
        konto = np.array([a[0] for a in accounts])[_pick(rng, weights, len(rep))]
        mon = rng.integers(0, 12, len(rep))
        motpart = np.where(konto == 6460, [led.motpart(regions[f]) for f in g_f[rep]] if len(rep) else -1, -1)
        return {
            "f": g_f[rep],
            "m": base_m[rep] + mon,
            "i": g_i[rep],
            "konto": konto,
            "ore": np.rint(amt * 100),
            "motpart": motpart,
        }

    inv = [
        invoices(0, np.full(g, 2.0), [konton["personal_ovrigt"]], [1.0], share=0.03),
        invoices(1, 6 + cap[gi] / 8, konton["externa"], [0.5, 0.3, 0.2]),
        invoices(3, 12 + cap[gi] / 5, konton["ovriga"], [0.3, 0.2, 0.1, 0.15, 0.15, 0.1]),
    ]
    # premises: monthly rent (whole kronor, to the host kommun) and quarterly cleaning
    (k_hyra, _), (k_stad, _) = konton["lokaler"]
    rep = np.repeat(np.arange(g), 12)
    rent = np.rint(b_fy[rep, 2] * fk[rep, 2] * 0.85 / 12) * 100
    host = np.array([led.motpart(h) for h in hosts])
    led.add(g_f[rep], base_m[rep] + np.tile(np.arange(12), g), g_i[rep], k_hyra, rent, host[g_f[rep]])
    rep = np.repeat(np.arange(g), 4)
    clean = np.rint(b_fy[rep, 2] * fk[rep, 2] * 0.15 / 4 * 100)
    led.add(g_f[rep], base_m[rep] + np.tile([2, 5, 8, 11], g), g_i[rep], k_stad, clean)

    # administration of each förbund (empty Projekt), around its budget row
    fy = sorted(admin)
    af = np.array([f for f, _ in fy])
    ay = np.array([y for _, y in fy])
    spent = np.array([admin[k] for k in fy], float) * np.clip(rng.normal(0.95, 0.06, len(fy)), 0.75, 1.1)
    rep = np.repeat(np.arange(len(fy)), np.maximum(rng.poisson(15, len(fy)), 1))
    w = rng.gamma(2.0, 1.0, len(rep))
    wsum = np.bincount(rep, weights=w, minlength=len(fy))
    admin_konton = np.array([a[0] for a in konton["administration"]])
    konto = admin_konton[_pick(rng, [0.2, 0.1, 0.15, 0.1, 0.25, 0.2], len(rep))]
    mon = rng.integers(0, 12, len(rep))
    ore = np.rint(spent[rep] * w / wsum[rep] * 100)
    inv.append({"f": af[rep], "m": (ay[rep] - 1970) * 12 + mon, "i": -1, "konto": konto, "ore": ore})
    for part in inv:
        led.add(**part)
    # corrections: a few invoices are partly credited again in the same month
    for part in inv:
        n = len(part["konto"])
        pick = rng.random(n) < 0.015
        sel = {k: (v[pick] if isinstance(v, np.ndarray) and v.shape == (n,) else v) for k, v in part.items()}
        sel["ore"] = -np.rint(sel["ore"] * rng.uniform(0.2, 1.0, int(pick.sum())))
        led.add(**sel)
    # member contributions (credits on 3xxx), quarterly, and interest now and then (8xxx)
    for (f, y), items in sorted(fin_by_fy.items()):
        for typ, name, v in items:
            konto = konton["intakter"][typ][0]
            led.add(f, (y - 1970) * 12 + np.array([0, 3, 6, 9]), -1, konto, -round(v * 100 / 4), led.motpart(name))
        for _ in range(int(rng.integers(1, 4))):
            kk = int(rng.integers(0, 2))
            amt = int(rng.integers(5_000, 500_000)) * (-1 if kk == 0 else 1)
            led.add(f, (y - 1970) * 12 + int(rng.integers(0, 12)), -1, konton["finansiella"][kk][0], amt)

    df = led.frame()
    # only the months the insats ran, and nothing after `end`
    i_arr = df["i"].to_numpy()
    m_arr = df["m"].to_numpy()
    ii = np.maximum(i_arr, 0)
    running = (i_arr < 0) | ((m_arr >= start_m[ii]) & (m_arr <= slut_m[ii]))
    df = df.filter(pl.Series(running & (m_arr <= end_m) & (df["ore"].to_numpy() != 0)))
    i_arr = df["i"].to_numpy()
    i_arr = np.where(i_arr < 0, n_ins, i_arr)
    f_arr = df["f"].to_numpy()
    df = df.with_columns(
        pl.Series("Förbund", f_names, dtype=pl.String).gather(f_arr),
        ((pl.col("m") // 12 + 1970) * 100 + pl.col("m") % 12 + 1).cast(pl.String).alias("Period"),
        pl.Series("Ansvar", [f["ansvar"] for f in world.forbund], dtype=pl.String).gather(f_arr),
        pl.Series(ins["verksamhet"].to_list() + ["Administration"], dtype=pl.String).gather(i_arr).alias("Verksamhet"),
        pl.Series(ids + [None], dtype=pl.String).gather(i_arr).alias("Projekt"),
        pl.col("konto").cast(pl.String).alias("Konto"),
        pl.col("konto").replace_strict(led.konto_namn).alias("Kontobenämning"),
        _labels(led.motparter, df["motpart"].to_numpy()).alias("Motpart"),
        _amount_text(pl.col("ore")).alias("Belopp"),
        (pl.col("m") // 12 + 1970).alias("_y"),
    ).sort(["m", "f", "i", "konto", "o"])
    cols = ["Förbund", "Period", "Ansvar", "Verksamhet", "Projekt", "Konto", "Kontobenämning", "Motpart", "Belopp"]
    for key, name in _yearly_files("ledger", "csv", years, end, split).items():
        part = df if key is None else df.filter(pl.col("_y") == key)
        out.csv(name, part.select(cols), encoding="cp1252", crlf=True)


class _Ledger:
    """Ledger rows as integer arrays (row order = booking order); texts are looked up at the end."""

    def __init__(self, konton: dict):
        self.parts: list[dict[str, np.ndarray]] = []
        self.motparter: list[str] = []
        self._motpart_idx: dict[str, int] = {}
        self.konto_namn: dict[int, str] = {}
        for v in konton.values():
            entries = v.values() if isinstance(v, dict) else ([v] if isinstance(v[0], int) else v)
            for konto, namn in entries:
                assert self.konto_namn.get(konto, namn) == namn, f"konto {konto} has two names"
                self.konto_namn[konto] = namn

    def motpart(self, name: str) -> int:
        if name not in self._motpart_idx:
            self._motpart_idx[name] = len(self.motparter)
            self.motparter.append(name)
        return self._motpart_idx[name]

    def add(self, f, m, i, konto, ore, motpart=-1) -> None:
        n = max(np.size(x) for x in (f, m, i, konto, ore, motpart))
        cols = {"f": f, "m": m, "i": i, "konto": konto, "ore": ore, "motpart": motpart}
        self.parts.append({k: np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)) for k, v in cols.items()})

    def frame(self) -> pl.DataFrame:
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in ("f", "m", "i", "konto", "ore", "motpart")}
        return pl.DataFrame(cols).with_row_index("o")
