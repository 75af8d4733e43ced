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
from collections.abc import Callable
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


# Luhn: a digit in an even position (0, 2, ...) counts doubled, minus 9 when that exceeds 9.
_DOUBLED = {str(d): 2 * d - 9 if 2 * d > 9 else 2 * d for d in range(10)}
_SINGLE = {str(d): d for d in range(10)}


def luhn_ok(digits10: str) -> bool:
    """Luhn (mod 10) over the 10 digits ÅÅMMDDNNNK."""
    if not digits10.isascii():  # other Unicode digits (\d matches them): the general loop
        total = 0
        for i, ch in enumerate(digits10[:9]):
            product = int(ch) * (2 if i % 2 == 0 else 1)
            total += product - 9 if product > 9 else product
        return (10 - total % 10) % 10 == int(digits10[9])
    # Unrolled table lookups: this runs once per distinct personnummer, millions at national scale.
    d, s = _DOUBLED, _SINGLE
    c = digits10
    total = d[c[0]] + s[c[1]] + d[c[2]] + s[c[3]] + d[c[4]] + s[c[5]] + d[c[6]] + s[c[7]] + d[c[8]]
    return (10 - total % 10) % 10 == s[c[9]]


def parse_personnummer(value: str, refresh_day: dt.date) -> Personnummer:
    """Validate and normalise one personnummer; raise PersonnummerError(reason) if invalid.

    Century for the 10-digit forms: with `-` (or no separator) the person is under 100 on the
    refresh day, i.e. the latest year ending in ÅÅ whose birthday is not after the refresh day;
    `+` adds another 100 years.
    """
    match = _PNR_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise PersonnummerError(REASON_FORMAT)
    century, yymmdd, sep, last4 = match.groups()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    samordning = dd > 60
    day = dd - 60 if samordning else dd
    if not 1 <= mm <= 12 or not 1 <= day <= 31:
        raise PersonnummerError(REASON_DATE)
    if century is not None:
        year = int(century) * 100 + yy
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
        if sep == "+":
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


def pseudonymiser(key: bytes) -> Callable[[str], str]:
    """`pseudonym` for many values: the HMAC object is keyed once (the key's pads hashed) and
    copied per value, which at millions of distinct personnummer saves a third of the time of
    ``hmac.new`` per value."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def hash_one(digits12: str) -> str:
        h = keyed.copy()
        h.update(digits12.encode("ascii"))
        return h.hexdigest()

    return hash_one


class PersonnummerMemo:
    """What `pseudonymise_column` found for each personnummer text, kept for the later files of
    one ingest run (one key, one refresh day). Exports repeat most people file after file: at
    national scale six attendance files hold 665 000 distinct values but 307 000 different ones,
    and each value costs a validation and an HMAC in Python. Like the parsed frames it holds the
    personnummer texts, in memory only and for one `ingest_kind` call; nothing of it is written
    or shown. Files that share few people (one export per förbund) would only make it grow: it
    switches itself off when under a tenth of the values looked up were known."""

    MIN_LOOKUPS = 20_000  # evidence needed before switching off

    def __init__(self, key: bytes, refresh_day: dt.date) -> None:
        self.key, self.refresh_day = key, refresh_day
        self._known: pl.DataFrame | None = None  # value, pseudonym, birth_date, sex, error
        self._looked_up = self._hits = 0
        self.active = True

    def split(self, distinct: pl.Series) -> tuple[pl.DataFrame | None, pl.Series]:
        """(what is known about `distinct`, the values not seen before)."""
        if not self.active or self._known is None:
            return None, distinct
        # Hash the file's values and scan the memo (not the other way round: the memo is big).
        known = self._known.filter(pl.col("value").is_in(distinct.implode()))
        self._looked_up += len(distinct)
        self._hits += known.height
        if self._looked_up >= self.MIN_LOOKUPS and self._hits * 10 < self._looked_up:
            self.active, self._known = False, None
        if known.height == 0:
            return None, distinct
        return known, distinct.filter(~distinct.is_in(known.get_column("value").implode()))

    def add(self, found: pl.DataFrame) -> None:
        if self.active:
            self._known = found if self._known is None else pl.concat([self._known, found], rechunk=False)


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
    memo: PersonnummerMemo | None = None,
) -> pl.DataFrame:
    """Add pseudonym, birth date, sex and error-reason columns for the personnummer `column`.

    Works on the distinct non-null values only, then joins back (order kept). The original
    column is left in place: the caller drops it. Null input gives null outputs and no error.
    `rank_as` adds the pseudonym's rank (UInt32, in pseudonym order) as a cheap integer key to
    cluster rows by person. `memo` (same key and refresh day) answers for values seen before.
    """
    distinct = frame.get_column(column).drop_nulls().unique()
    known = None
    if memo is not None:
        if (memo.key, memo.refresh_day) != (key, refresh_day):
            raise ValueError("the memo was made for another key or refresh day")
        known, distinct = memo.split(distinct)
    hash_one = pseudonymiser(key)
    parse = parse_personnummer  # looked up once (tests replace it to count calls)
    pseudonyms, births, sexes, errors = [], [], [], []
    for value in distinct.to_list():
        try:
            pnr = parse(value, refresh_day)
        except PersonnummerError as exc:
            pseudonyms.append(None)
            births.append(None)
            sexes.append(None)
            errors.append(exc.reason)
            continue
        pseudonyms.append(hash_one(pnr.digits12))
        births.append(pnr.birth_date)
        sexes.append(pnr.sex)
        errors.append(None)
    found = pl.DataFrame(
        {"value": distinct, "pseudonym": pseudonyms, "birth_date": births, "sex": sexes, "error": errors},
        schema={
            "value": pl.String,
            "pseudonym": pl.String,
            "birth_date": pl.Date,
            "sex": pl.String,
            "error": pl.String,
        },
    )
    if memo is not None:
        memo.add(found)
    join_key = f"__pnr_key_{column}"
    mapping = (found if known is None else pl.concat([known, found])).rename(
        {"value": join_key, "pseudonym": pseudonym_as, "birth_date": birth_date_as, "sex": sex_as, "error": error_as}
    )
    if rank_as is not None:
        mapping = mapping.sort(pseudonym_as, nulls_last=True).with_row_index(rank_as)
        mapping = mapping.with_columns(pl.col(rank_as).cast(pl.UInt32))
    # Join the key column alone and attach the results: joining the whole frame would copy it.
    looked_up = (
        frame.select(column)
        .rechunk()
        .join(mapping, left_on=column, right_on=join_key, how="left", maintain_order="left")
    )
    return frame.with_columns(looked_up.drop(column))
