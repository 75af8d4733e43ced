"""Swedish personnummer / samordningsnummer: validate, normalise, pseudonymise.

Privacy rule: a personnummer value never appears in an exception, a log line, a repr or any
output. Errors carry only the reason (`ogiltigt personnummer (kontrollsiffra)`); callers add the
row and column. The frame helper works on the DISTINCT values of a column (hash each once, then
join back), because a keyed hash per row in Python is far too slow at 20 million rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass, field

import polars as pl

# ÅÅÅÅMMDD-XXXX, ÅÅÅÅMMDDXXXX (a +/- between date and number is tolerated in the 12-digit form),
# ÅÅMMDD-XXXX, ÅÅMMDD+XXXX (100 years or older), ÅÅMMDDXXXX.
_PNR_RE = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<last4>\d{4})$")

# Reasons (Swedish, as users read them); never include the value.
REASON_FORMAT = "ogiltigt personnummer (format)"
REASON_DATE = "ogiltigt personnummer (datum)"
REASON_FUTURE = "ogiltigt personnummer (födelsedatum efter uppdateringsdagen)"
REASON_CHECK_DIGIT = "ogiltigt personnummer (kontrollsiffra)"


class PersonnummerError(ValueError):
    """Invalid personnummer; the message is the reason only, never the value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Personnummer:
    # repr=False: a Personnummer in a traceback or log must not show the number.
    digits12: str = field(repr=False)
    birth_date: dt.date
    sex: str  # "Man" | "Kvinna"
    samordningsnummer: bool

    def __str__(self) -> str:  # pragma: no cover - defensive
        return "Personnummer(<dolt>)"


def luhn_ok(digits10: str) -> bool:
    """Luhn (mod 10) over the 10 digits ÅÅMMDDNNNK."""
    total = 0
    for i, ch in enumerate(digits10[:9]):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10 == int(digits10[9])


def parse_personnummer(value: str, refresh_day: dt.date) -> Personnummer:
    """Validate and normalise one personnummer; raise PersonnummerError(reason) if invalid.

    Century for the 10-digit forms: with `-` (or no separator) the person is under 100 on the
    refresh day, i.e. the latest year ending in ÅÅ whose birthday is not after the refresh day;
    `+` adds another 100 years.
    """
    match = _PNR_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise PersonnummerError(REASON_FORMAT)
    yymmdd, last4 = match["yymmdd"], match["last4"]
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    samordning = dd > 60
    day = dd - 60 if samordning else dd
    if not 1 <= mm <= 12 or not 1 <= day <= 31:
        raise PersonnummerError(REASON_DATE)
    if match["century"] is not None:
        year = int(match["century"]) * 100 + yy
        try:
            birth = dt.date(year, mm, day)
        except ValueError:
            raise PersonnummerError(REASON_DATE) from None
        if birth > refresh_day:
            raise PersonnummerError(REASON_FUTURE)
    else:
        year = (refresh_day.year // 100) * 100 + yy
        if year > refresh_day.year or (year == refresh_day.year and (mm, day) > (refresh_day.month, refresh_day.day)):
            year -= 100
        if match["sep"] == "+":
            year -= 100
        try:
            birth = dt.date(year, mm, day)
        except ValueError:
            raise PersonnummerError(REASON_DATE) from None
    if not luhn_ok(yymmdd + last4):
        raise PersonnummerError(REASON_CHECK_DIGIT)
    sex = "Man" if int(last4[2]) % 2 == 1 else "Kvinna"
    return Personnummer(
        digits12=f"{year:04d}{yymmdd[2:]}{last4}",
        birth_date=birth,
        sex=sex,
        samordningsnummer=samordning,
    )


def pseudonym(digits12: str, key: bytes) -> str:
    """HMAC-SHA256(key, 12-digit personnummer) as 64 hex characters."""
    return hmac.new(key, digits12.encode("ascii"), hashlib.sha256).hexdigest()


def pseudonymise_column(
    frame: pl.DataFrame,
    column: str,
    *,
    key: bytes,
    refresh_day: dt.date,
    pseudonym_as: str,
    birth_date_as: str,
    sex_as: str,
    error_as: str,
    rank_as: str | None = None,
) -> pl.DataFrame:
    """Add pseudonym, birth date, sex and error-reason columns for the personnummer `column`.

    Works on the distinct non-null values only, then joins back (order kept). The original
    column is left in place: the caller drops it. Null input gives null outputs and no error.
    `rank_as` adds the pseudonym's rank (UInt32, in pseudonym order) as a cheap integer key to
    cluster rows by person.
    """
    distinct = frame.get_column(column).drop_nulls().unique().to_list()
    values, pseudonyms, births, sexes, errors = [], [], [], [], []
    for value in distinct:
        values.append(value)
        try:
            pnr = parse_personnummer(value, refresh_day)
        except PersonnummerError as exc:
            pseudonyms.append(None)
            births.append(None)
            sexes.append(None)
            errors.append(exc.reason)
            continue
        pseudonyms.append(pseudonym(pnr.digits12, key))
        births.append(pnr.birth_date)
        sexes.append(pnr.sex)
        errors.append(None)
    join_key = f"__pnr_key_{column}"
    mapping = pl.DataFrame(
        {
            join_key: values,
            pseudonym_as: pseudonyms,
            birth_date_as: births,
            sex_as: sexes,
            error_as: errors,
        },
        schema={
            join_key: frame.schema[column],
            pseudonym_as: pl.String,
            birth_date_as: pl.Date,
            sex_as: pl.String,
            error_as: pl.String,
        },
    )
    if rank_as is not None:
        mapping = mapping.sort(pseudonym_as, nulls_last=True).with_row_index(rank_as)
        mapping = mapping.with_columns(pl.col(rank_as).cast(pl.UInt32))
    # Join the key column alone and attach the results: joining the whole frame would copy it.
    looked_up = frame.select(column).rechunk().join(
        mapping, left_on=column, right_on=join_key, how="left", maintain_order="left"
    )
    return frame.with_columns(looked_up.drop(column))
