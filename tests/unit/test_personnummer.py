"""Personnummer: validation, normalisation, birth date, sex, keyed pseudonym (never the value)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import polars as pl
import pytest

from pipelines.ingest import personnummer as pnr_mod
from pipelines.ingest.personnummer import (
    PersonnummerError,
    parse_personnummer,
    pseudonym,
    pseudonymise_column,
)

REFRESH = dt.date(2026, 11, 23)
KEY = b"test-key"


def check_digit(nine: str) -> str:
    """Luhn check digit, computed independently of the module under test."""
    digits = [int(c) * (2 - i % 2) for i, c in enumerate(nine)]
    return str((10 - sum(d // 10 + d % 10 for d in digits) % 10) % 10)


def make(yyyymmdd: str, serial: str = "123", sep: str = "-", short: bool = False) -> str:
    nine = yyyymmdd[2:] + serial
    value = nine[:6] + sep + nine[6:] + check_digit(nine)
    return value if short else yyyymmdd[:2] + value


def test_skatteverket_example_is_valid_in_all_forms():
    # 811218-9876 is Skatteverket's documentation example.
    for form in ("811218-9876", "8112189876", "19811218-9876", "198112189876"):
        p = parse_personnummer(form, REFRESH)
        assert p.digits12 == "198112189876"
        assert p.birth_date == dt.date(1981, 12, 18)
        assert p.sex == "Man"  # second-to-last digit 7 is odd
        assert not p.samordningsnummer


def test_sex_from_second_to_last_digit():
    assert parse_personnummer(make("19850221", "484"), REFRESH).sex == "Kvinna"  # 8 even
    assert parse_personnummer(make("19850221", "473"), REFRESH).sex == "Man"  # 7 odd


def test_century_from_separator_and_refresh_day():
    # Under 100 with '-': the latest year ending in ÅÅ whose birthday is not after the refresh day.
    assert parse_personnummer(make("20051018", short=True), REFRESH).birth_date == dt.date(2005, 10, 18)
    assert parse_personnummer(make("19851018", short=True), REFRESH).birth_date == dt.date(1985, 10, 18)
    # Born 24 Nov '26: not yet born in 2026 on 23 Nov 2026, so 1926.
    assert parse_personnummer(make("19261124", short=True), REFRESH).birth_date == dt.date(1926, 11, 24)
    # '+' = 100 years or older.
    plus = parse_personnummer(make("19120101", sep="+", short=True), REFRESH)
    assert plus.birth_date == dt.date(1912, 1, 1)
    assert plus.digits12.startswith("1912")


def test_samordningsnummer_day_plus_60():
    value = make("19900671", "234")  # 11 June 1990 as samordningsnummer
    p = parse_personnummer(value, REFRESH)
    assert p.samordningsnummer
    assert p.birth_date == dt.date(1990, 6, 11)
    assert p.digits12 == value.replace("-", "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("19811218-9875", pnr_mod.REASON_CHECK_DIGIT),
        ("811218-9877", pnr_mod.REASON_CHECK_DIGIT),
        (make("19851301"), pnr_mod.REASON_DATE),  # month 13
        (make("19850230"), pnr_mod.REASON_DATE),  # 30 February
        (make("19000229"), pnr_mod.REASON_DATE),  # 1900 is no leap year
        (make("19850192"), pnr_mod.REASON_DATE),  # day 92 - 60 = 32
        (make("20300101"), pnr_mod.REASON_FUTURE),
        ("1981-12-18-9876", pnr_mod.REASON_FORMAT),
        ("81121898", pnr_mod.REASON_FORMAT),
        ("abc", pnr_mod.REASON_FORMAT),
        ("", pnr_mod.REASON_FORMAT),
    ],
)
def test_invalid_values_raise_reason_without_the_value(value, reason):
    with pytest.raises(PersonnummerError) as info:
        parse_personnummer(value, REFRESH)
    assert info.value.reason == reason
    assert str(info.value) == reason
    digits = value.replace("-", "").replace("+", "")
    if len(digits) >= 6:
        assert digits[:6] not in str(info.value) and digits[-4:] not in str(info.value)


def test_repr_hides_the_number():
    p = parse_personnummer("19811218-9876", REFRESH)
    assert "9876" not in repr(p) and "811218" not in repr(p)


def test_pseudonym_is_hmac_sha256_of_the_12_digits_and_keyed():
    expected = hmac.new(KEY, b"198112189876", hashlib.sha256).hexdigest()
    assert pseudonym("198112189876", KEY) == expected
    assert len(expected) == 64
    assert pseudonym("198112189876", KEY) == pseudonym("198112189876", KEY)
    assert pseudonym("198112189876", b"other-key") != expected


def test_pseudonymise_column_hashes_each_distinct_value_once(parsed_personnummer):
    a, b = "19811218-9876", make("19850221", "484")
    frame = pl.DataFrame({"pnr": [a, b, a, None, "811218-9876", a, "bad"]})
    calls = parsed_personnummer
    out = pseudonymise_column(
        frame,
        "pnr",
        key=KEY,
        refresh_day=REFRESH,
        pseudonym_as="pid",
        birth_date_as="born",
        sex_as="sex",
        error_as="err",
    )
    assert sorted(calls) == sorted({a, b, "811218-9876", "bad"})  # distinct, non-null only
    assert out.height == frame.height
    pids = out["pid"].to_list()
    # Same person in 12- and 10-digit form -> same pseudonym; order kept.
    assert pids[0] == pids[2] == pids[4] == pids[5] == pseudonym("198112189876", KEY)
    assert pids[1] != pids[0]
    assert pids[3] is None and out["err"][3] is None
    assert pids[6] is None and out["err"][6] == pnr_mod.REASON_FORMAT
    assert out["born"][1] == dt.date(1985, 2, 21)
    assert out["sex"].to_list()[:3] == ["Man", "Kvinna", "Man"]
