"""Day numbers, random picks and text columns, used by every source kind of the demo data."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import polars as pl

from pipelines.demo.codes import EPOCH, FORS


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, day


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (y * 12 + m - 1 - 1970 * 12)."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def next_weekday(days: np.ndarray) -> np.ndarray:
    wd = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    return np.where(wd >= 5, days + (7 - wd), days)


def ascii_fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def slug(name: str) -> str:
    s = name.replace("Samordningsförbundet", "").replace("Samordningsförbund", "")
    s = re.sub(r"[^a-z0-9]+", "_", ascii_fold(s).lower()).strip("_")
    return s


def choose(rng: np.random.Generator, p, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def choose_per_row(rng: np.random.Generator, table: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Draw one column index per element, from the probability row table[row[i]]."""
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(row))
    out = (u[:, None] > cdf[row]).sum(axis=1)
    return np.minimum(out, table.shape[1] - 1)


def labels(values: list[str], idx: np.ndarray) -> pl.Series:
    """Strings for code indices; index -1 gives null."""
    lut = pl.Series(list(values) + [None], dtype=pl.String)
    idx = np.where(np.asarray(idx) < 0, len(values), idx).astype(np.int64)
    return lut.gather(idx)


def date_texts(days: np.ndarray, name: str = "") -> pl.Series:
    """ÅÅÅÅ-MM-DD strings; negative days give null (formatted once per distinct day, then gathered)."""
    days = np.asarray(days, dtype=np.int64)
    valid = days >= 0
    if not valid.any():
        return pl.Series(name, [None] * len(days), dtype=pl.String)
    lo, hi = int(days[valid].min()), int(days[valid].max())
    lut = pl.Series(np.arange(lo, hi + 1, dtype=np.int32)).cast(pl.Date).dt.strftime("%Y-%m-%d")
    lut = lut.append(pl.Series([None], dtype=pl.String))
    return lut.gather(np.where(valid, days - lo, hi - lo + 1)).alias(name)


def fors_text(primary: np.ndarray, secondary: np.ndarray) -> pl.Series:
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


def overlaps_earlier(group: np.ndarray, start: np.ndarray, stop: np.ndarray, tie: np.ndarray) -> np.ndarray:
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


def luhn_check_digit(digits: np.ndarray) -> np.ndarray:
    """Check digit for rows of 9 digits (YYMMDDNNN)."""
    w = np.array([2, 1, 2, 1, 2, 1, 2, 1, 2])
    p = digits * w
    s = (p // 10 + p % 10).sum(axis=1)
    return (10 - s % 10) % 10


def swedish_holidays(years: range) -> np.ndarray:
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
        out.extend(day_number(x) for x in days)
    return np.array(sorted(out), dtype=np.int64)


_HOURS_LUT = pl.Series([f"{i // 10},{i % 10}" for i in range(241)], dtype=pl.String)


def hours_text(tenths: np.ndarray) -> pl.Series:
    """Tenths of hours → `5,0` (decimal comma)."""
    return _HOURS_LUT.gather(np.asarray(tenths, dtype=np.int64))


def amount_text(ore: pl.Expr) -> pl.Expr:
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
