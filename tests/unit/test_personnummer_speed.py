"""The fast paths of personnummer.py give the same answers as the plain definitions.

- `luhn_ok`'s unrolled table lookups agree with the textbook Luhn loop on every kind of input;
- `pseudonymiser(key)` (the HMAC keyed once and copied per value) equals `hmac.new` for any key;
- a `PersonnummerMemo` shared by the files of one ingest run gives exactly the columns a fresh
  call gives, and each value is parsed once per run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random

import polars as pl
import pytest

from pipelines.ingest.personnummer import PersonnummerMemo, luhn_ok, pseudonymise_column, pseudonymiser

REFRESH = dt.date(2026, 11, 23)
KEY = b"speed-test-key"


def textbook_luhn(digits10: str) -> bool:
    total = 0
    for i, ch in enumerate(digits10[:9]):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10 == int(digits10[9])


def test_luhn_fast_path_equals_the_textbook_loop():
    rng = random.Random(8)
    values = ["".join(rng.choice("0123456789") for _ in range(10)) for _ in range(20_000)]
    values += ["8112189876", "0000000000", "9999999999", "١٩٨١١٢١٨٩٨٧٦"[2:]]  # Arabic-Indic digits too
    for v in values:
        assert luhn_ok(v) == textbook_luhn(v), v


@pytest.mark.parametrize("key", [b"", b"k", KEY, b"x" * 64, b"y" * 65, bytes(range(200))])
def test_pseudonymiser_is_hmac_sha256(key):
    hash_one = pseudonymiser(key)
    for digits in ("198112189876", "190001010000", "202612310000"):
        assert hash_one(digits) == hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def _frame(values):
    return pl.DataFrame({"pnr": values}, schema={"pnr": pl.String})


def _pseudonymise(frame, memo=None):
    return pseudonymise_column(
        frame,
        "pnr",
        key=KEY,
        refresh_day=REFRESH,
        pseudonym_as="pid",
        birth_date_as="born",
        sex_as="sex",
        error_as="err",
        rank_as="rank",
        memo=memo,
    )


def test_memo_gives_the_same_columns_and_parses_each_value_once(parsed_personnummer):
    first = _frame(["19811218-9876", "811218-9876", "bad", None, "19850221-4846", "19811218-9876"])
    second = _frame(["19850221-4846", "19900101-0017", "bad", "19811218-9876", None, "20300101-1236"])
    calls = parsed_personnummer
    memo = PersonnummerMemo(KEY, REFRESH)
    with_memo = [_pseudonymise(first, memo), _pseudonymise(second, memo)]
    assert sorted(calls) == sorted({v for v in first["pnr"].to_list() + second["pnr"].to_list() if v is not None})
    fresh = [_pseudonymise(first), _pseudonymise(second)]
    for got, want in zip(with_memo, fresh, strict=True):
        columns = ["pnr", "pid", "born", "sex", "err"]
        assert got.select(columns).equals(want.select(columns))
        # The rank follows the pseudonyms' order (it clusters a file's rows by person).
        assert got.filter(pl.col("pid").is_not_null()).sort("rank")["pid"].is_sorted()


def test_memo_refuses_another_key_or_day():
    with pytest.raises(ValueError):
        _pseudonymise(_frame(["19811218-9876"]), PersonnummerMemo(b"other", REFRESH))
    with pytest.raises(ValueError):
        _pseudonymise(_frame(["19811218-9876"]), PersonnummerMemo(KEY, dt.date(2020, 1, 1)))


def test_memo_switches_itself_off_when_files_share_few_people(monkeypatch):
    monkeypatch.setattr(PersonnummerMemo, "MIN_LOOKUPS", 4)
    memo = PersonnummerMemo(KEY, REFRESH)
    first = _frame(["19811218-9876", "19850221-4846"])
    others = _frame(["19900101-0017", "20300101-1236", "bad", "811218-9876x"])
    _pseudonymise(first, memo)
    out = _pseudonymise(others, memo)  # nothing known: off from here on
    assert not memo.active
    assert out.select("pid", "err").equals(_pseudonymise(others).select("pid", "err"))
    again = _pseudonymise(first, memo)  # still right, just not remembered
    assert again.select("pid", "err").equals(_pseudonymise(first).select("pid", "err"))
