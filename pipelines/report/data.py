"""Reading the marts of bi.duckdb: selecting and shaping only.

Every query here is `select <columns> from marts.<mart> where <filters>`; the shaping (sums over
kon and, for a förbund-level report, over the förbund's insatser; ratios of totals recomputed
from the sums the marts carry beside them, as docs/marts.md promises) is done in Python on the
few rows one report needs. Nothing person-level exists in bi.duckdb and nothing else is read.

It is one module because `BatchReader` must answer every `select` exactly as `MartReader`
does, and the two are easiest to keep equal side by side.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

SCHEMA = "marts"
KON_ORDER = ("Kvinna", "Man", "Okänt")
FORBUND_ADMIN = "(förbund)"  # ekonomi / enhetskostnad rows of the förbund's own administration

Row = dict[str, Any]


class NotInMarts(ValueError):
    """A förbund, insats or period asked for that bi.duckdb does not have; `option` names which."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Period:
    period_typ: str
    period_id: str
    period_start: dt.date
    period_slut: dt.date
    period_slut_as_of: dt.date | None
    is_complete: bool
    as_of: dt.date | None

    @classmethod
    def from_row(cls, r: Row) -> Period:
        """The Period of one dim_period row."""
        return cls(
            period_typ=r["period_typ"],
            period_id=r["period_id"],
            period_start=r["period_start"],
            period_slut=r["period_slut"],
            period_slut_as_of=r.get("period_slut_as_of"),
            is_complete=bool(r.get("is_complete", True)),
            as_of=r.get("as_of"),
        )


@dataclass(frozen=True)
class Scope:
    """Whose numbers: one insats, or (insats_id None) the sum over a förbund's insatser."""

    forbund: str
    insats_id: str | None
    insats: tuple[Row, ...]  # dim_insats rows summed over

    @property
    def insats_ids(self) -> list[str]:
        return [i["insats_id"] for i in self.insats]

    @property
    def is_forbund(self) -> bool:
        return self.insats_id is None


def comparison_period_id(period_id: str) -> str:
    """The same period one year earlier: 2022-H1 → 2021-H1, 2022-06 → 2021-06,
    2022 → 2021, 2021-07--2022-06 → 2020-07--2021-06 (see README: comparison period)."""
    return re.sub(r"\d{4}", lambda m: f"{int(m.group()) - 1:04d}", period_id)


class MartReader:
    """A read-only view of the marts in one bi.duckdb."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        rows = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = ? order by table_name, ordinal_position",
            [SCHEMA],
        ).fetchall()
        self.columns: dict[str, list[str]] = {}
        for table, column in rows:
            self.columns.setdefault(table, []).append(column)

    @classmethod
    def open(cls, bi_path: Path) -> MartReader:
        if not Path(bi_path).exists():
            raise FileNotFoundError(f"{bi_path} does not exist: run `finsam refresh` first")
        return cls(duckdb.connect(str(bi_path), read_only=True))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> MartReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # what exists ------------------------------------------------------------------------------
    def has(self, mart: str) -> bool:
        return mart in self.columns

    def missing_columns(self, mart: str, needed: Iterable[str]) -> list[str]:
        have = set(self.columns.get(mart, ()))
        return [c for c in needed if c not in have]

    # selecting ---------------------------------------------------------------------------------
    def select(self, mart: str, where: dict[str, Any] | None = None, order_by: str | None = None) -> list[Row]:
        """`select * from marts.<mart> where col = ? and col in (…)`; lists become `in`."""
        if mart not in self.columns:
            return []
        clauses, params = [], []
        for column, value in (where or {}).items():
            if column not in self.columns[mart]:
                raise KeyError(f"marts.{mart} has no column {column}")
            if isinstance(value, (list, tuple, set)):
                values = list(value)
                if not values:
                    return []
                clauses.append(f'"{column}" in ({", ".join("?" for _ in values)})')
                params += values
            else:
                clauses.append(f'"{column}" = ?')
                params.append(value)
        sql = f'select * from {SCHEMA}."{mart}"'
        if clauses:
            sql += " where " + " and ".join(clauses)
        if order_by:
            sql += f" order by {order_by}"
        relation = self.con.execute(sql, params)
        names = [d[0] for d in relation.description]
        return [dict(zip(names, r, strict=False)) for r in relation.fetchall()]

    # dimensions --------------------------------------------------------------------------------
    def period(self, period_id: str, period_typ: str | None = None) -> Period | None:
        where: dict[str, Any] = {"period_id": period_id}
        if period_typ:
            where["period_typ"] = period_typ
        rows = self.select("dim_period", where)
        if not rows:
            return None
        if len(rows) > 1:  # cannot happen with the period ids of docs/metrics/time.md; be explicit if it ever does
            raise ValueError(f"period id {period_id!r} is ambiguous in dim_period: {[r['period_typ'] for r in rows]}")
        return Period.from_row(rows[0])

    def months_of(self, period: Period) -> list[Period]:
        rows = self.select("dim_period", {"period_typ": "manad"}, order_by="period_start")
        out = []
        for r in rows:
            if period.period_start <= r["period_start"] <= period.period_slut:
                p = self.period(r["period_id"], "manad")
                if p is not None:
                    out.append(p)
        return out

    def scope(self, forbund: str, insats_id: str | None) -> Scope:
        insatser = self.select("dim_insats", {"forbund": forbund}, order_by="insats_id")
        if not insatser:
            known = sorted({r["forbund"] for r in self.select("dim_insats")})
            raise NotInMarts("forbund", f"förbund {forbund!r} is not in marts.dim_insats; known: {known}")
        if insats_id is not None:
            insatser = [r for r in insatser if r["insats_id"] == insats_id]
            if not insatser:
                known = [r["insats_id"] for r in self.select("dim_insats", {"forbund": forbund})]
                raise NotInMarts("insats", f"insats {insats_id!r} is not registered for {forbund!r}; known: {known}")
        return Scope(forbund=forbund, insats_id=insats_id, insats=tuple(insatser))

    # fact rows of one scope and period ------------------------------------------------------------
    def facts(self, mart: str, scope: Scope, period: Period | None, extra_insats: Iterable[str] = ()) -> list[Row]:
        if period is None or not self.has(mart):
            return []
        return self.select(
            mart,
            {
                "forbund": scope.forbund,
                "insats_id": scope.insats_ids + list(extra_insats),
                "period_typ": period.period_typ,
                "period_id": period.period_id,
            },
        )


# shaping ------------------------------------------------------------------------------------------


def total(rows: Iterable[Row], column: str) -> Any:
    """Σ column over rows (None when there are no rows; None values count as 0)."""
    rows = list(rows)
    if not rows:
        return None
    return sum((r.get(column) or 0) for r in rows)


def by(rows: Iterable[Row], *keys: str) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for r in rows:
        k = r[keys[0]] if len(keys) == 1 else tuple(r[k] for k in keys)
        out.setdefault(k, []).append(r)
    return out


def ratio(rows: list[Row], rate_column: str | None, num: str, den: str) -> float | None:
    """The mart's own ratio when the group is one mart row, else Σnum / Σden (None when 0)."""
    if not rows:
        return None
    if rate_column and len(rows) == 1 and rate_column in rows[0]:
        return rows[0][rate_column]
    d = total(rows, den)
    return None if not d else total(rows, num) / d


def kon_list(rows: Iterable[Row], always: tuple[str, ...] = ("Kvinna", "Man")) -> list[str]:
    """The kon columns a table shows: Kvinna and Man always, Okänt (or any other value) only
    when some row of it has a non-zero number, so that the columns add up to Totalt."""
    seen = list(always)
    for r in rows:
        k = r.get("kon")
        if k in seen or k is None:
            continue
        if any(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v
            for c, v in r.items()
            if c not in ("sortering",)
        ):
            seen.append(k)
    order = {k: i for i, k in enumerate(KON_ORDER)}
    return sorted(seen, key=lambda k: order.get(k, 99))


# reading once for many reports -------------------------------------------------------------------

SMALL_MART_ROWS = 100_000  # a mart this small is read whole (dimensions, finansiering)
BATCH_MEMORY_LIMIT = "500MB"  # DuckDB's memory in one report batch's connection
FACT_KEY = ("forbund", "insats_id", "period_id")
FACT_FILTER = {*FACT_KEY, "period_typ"}  # what a fact read for the batch already filters on


def _pinned(value: Any) -> list | None:
    """The values a `where` entry allows (a scalar or a list), None when it is not a plain value."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return None if value is None else [value]


def _matches(row: Row, where: dict[str, Any]) -> bool:
    for column, value in where.items():
        v = row[column]
        if isinstance(value, (list, tuple, set, frozenset)):
            if v is None or v not in value:
                return False
        elif v is None or v != value:
            return False
    return True


def _memo_key(mart: str, where: dict[str, Any], order_by: str | None) -> tuple:
    items = tuple(
        sorted((k, tuple(v) if isinstance(v, (list, tuple, set, frozenset)) else v) for k, v in where.items())
    )
    return (mart, items, order_by)


def _ordered(rows: list[Row], order_by: str | None) -> list[Row] | None:
    """Rows sorted as `order by a, b desc` would (nulls last); None for any other expression."""
    if not order_by:
        return rows
    keys = []
    for part in order_by.split(","):
        m = re.fullmatch(r"\s*(\w+)(?:\s+(asc|desc))?\s*", part, re.I)
        if not m or (rows and m.group(1) not in rows[0]):
            return None
        keys.append((m.group(1), (m.group(2) or "asc").lower() == "desc"))
    for column, desc in reversed(keys):  # stable sorts, last key first
        present = sorted((r for r in rows if r[column] is not None), key=lambda r: r[column], reverse=desc)
        rows = present + [r for r in rows if r[column] is None]
    return rows


class _FactSlices:
    """The rows of one fact mart and period type for a batch, as one Arrow table sorted by
    (förbund, insats, period), and where each (förbund, insats, period) starts and ends in it."""

    def __init__(self, table: pa.Table):
        self.table = table
        self._converted: dict[tuple[int, int], list[Row]] = {}
        self.index: dict[tuple, tuple[int, int]] = {}
        self.by_forbund_period: dict[tuple, list[tuple[int, int]]] = {}
        n = table.num_rows
        if n == 0:
            return
        codes, values = [], []
        for column in FACT_KEY:
            encoded = table.column(column).combine_chunks().dictionary_encode()
            codes.append(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False))
            values.append(encoded.dictionary.to_pylist())
        change = np.zeros(n, dtype=bool)
        change[0] = True
        for c in codes:
            change[1:] |= c[1:] != c[:-1]
        starts = np.flatnonzero(change).tolist()
        for start, end in zip(starts, starts[1:] + [n], strict=False):
            key = tuple(None if c[start] < 0 else v[c[start]] for c, v in zip(codes, values, strict=False))
            if None in key:
                continue  # a null key never equals a filter value
            self.index[key] = (start, end - start)
            self.by_forbund_period.setdefault((key[0], key[2]), []).append((start, end - start))

    def rows(self, forbund: list, insats: list | None, period_ids: list) -> list[Row]:
        spans = []
        for f in forbund:
            for p in period_ids:
                if insats is None:
                    spans += self.by_forbund_period.get((f, p), [])
                else:
                    spans += [self.index[(f, i, p)] for i in insats if (f, i, p) in self.index]
        out: list[Row] = []
        for span in sorted(spans):
            if span not in self._converted:
                self._converted[span] = self.table.slice(*span).to_pylist()
            out += self._converted[span]
        return out

    def forget(self) -> None:
        """Drop the rows made into Python objects (they are many times the size of the table)."""
        self._converted.clear()


class BatchReader(MartReader):
    """A MartReader for a batch of reports: the reports of some förbund for known periods.

    At national scale the marts are big and unsorted, so every `select` of a single report
    scans a whole mart. This reader instead reads, the first time a report asks, each fact mart
    once for the whole batch (the batch's förbund and the period ids given per period type) and
    answers every later `select` of the batch from memory. Small marts (dimensions,
    finansiering) are read whole once. A `select` the batch did not read (another förbund or
    period, a filter without förbund or period) goes to bi.duckdb as in MartReader, so the
    answers are always those of MartReader.select."""

    def __init__(self, con: duckdb.DuckDBPyConnection, forbund: Iterable[str]):
        super().__init__(con)
        self.forbund = frozenset(forbund)
        self.period_ids: dict[str, set[str]] = {}
        self._small: dict[str, tuple[list[Row], dict[Any, list[Row]]] | None] = {}
        self._facts: dict[tuple[str, str], _FactSlices] = {}
        self._memo: dict[tuple, list[Row] | None] = {}
        self._converted_for: list[str] | None = None

    @classmethod
    def open(cls, bi_path: Path, forbund: Iterable[str] = (), *, threads: int | None = None) -> BatchReader:
        if not Path(bi_path).exists():
            raise FileNotFoundError(f"{bi_path} does not exist: run `finsam refresh` first")
        # `threads` is given in a worker process, alone with its connection. There DuckDB also
        # gets a small memory limit: it keeps the blocks it read cached up to the limit (by
        # default most of the machine's memory), and a batch reads each mart only once. In the
        # caller's own process a connection with another configuration to the same file
        # would be refused while any other is open, so there the defaults stay.
        config: dict[str, Any] = {"threads": threads, "memory_limit": BATCH_MEMORY_LIMIT} if threads else {}
        return cls(duckdb.connect(str(bi_path), read_only=True, config=config), forbund)

    def expect(self, period_typ: str, period_ids: Iterable[str]) -> None:
        """The batch's reports will ask for these periods: read them with the rest."""
        new = set(period_ids) - self.period_ids.get(period_typ, set())
        if new:
            self.period_ids.setdefault(period_typ, set()).update(new)
            for key in [k for k in self._facts if k[1] == period_typ]:
                del self._facts[key]  # read again, with the new ids

    def select(self, mart: str, where: dict[str, Any] | None = None, order_by: str | None = None) -> list[Row]:
        """As MartReader.select. The rows are shared between the batch's reports: read only."""
        where = where or {}
        if mart not in self.columns:
            return []
        for column, value in where.items():
            if column not in self.columns[mart]:
                raise KeyError(f"marts.{mart} has no column {column}")
            if isinstance(value, (list, tuple, set, frozenset)) and not value:
                return []
        small = self._small_rows(mart, where)
        if small is not None:  # a small mart: the same questions come with every report, remember the answers
            key = _memo_key(mart, where, order_by)
            if key not in self._memo:
                self._memo[key] = _ordered([r for r in small if _matches(r, where)], order_by)
            answer = self._memo[key]
        else:
            rows = self._fact_rows(mart, where)
            rest = {k: v for k, v in where.items() if k not in FACT_FILTER}
            answer = (
                None if rows is None else _ordered([r for r in rows if _matches(r, rest)] if rest else rows, order_by)
            )
        return super().select(mart, where, order_by) if answer is None else list(answer)

    def _small_rows(self, mart: str, where: dict[str, Any]) -> list[Row] | None:
        """All rows of a small mart, or of its pinned förbund; None: not a small mart, or the
        filter pins a period (then the fact path answers it) or a förbund outside the batch."""
        forbund = _pinned(where.get("forbund"))
        if "forbund" in self.columns[mart] and (forbund is None or "period_id" in where):
            return None
        small = self._small_mart(mart)
        if small is None:
            return None
        all_rows, per_forbund = small
        if forbund is None:
            return all_rows
        return [r for f in forbund for r in per_forbund.get(f, [])] if set(forbund) <= self.forbund else None

    def _fact_rows(self, mart: str, where: dict[str, Any]) -> list[Row] | None:
        """The rows of the pinned förbund, insatser (all when not pinned), period type and period
        ids, when the batch reads them; None otherwise."""
        forbund, typ, period_ids = (
            _pinned(where.get("forbund")),
            where.get("period_typ"),
            _pinned(where.get("period_id")),
        )
        if (
            forbund is None
            or not set(forbund) <= self.forbund
            or not isinstance(typ, str)
            or period_ids is None
            or not set(period_ids) <= self.period_ids.get(typ, set())
            or not set(FACT_KEY) <= set(self.columns[mart])
        ):
            return None
        if forbund != self._converted_for:  # a förbund's rows serve its insatser's and its own reports
            for slices in self._facts.values():
                slices.forget()
            self._converted_for = forbund
        if (mart, typ) not in self._facts:
            self._facts[(mart, typ)] = _FactSlices(self._read_facts(mart, typ))
        return self._facts[(mart, typ)].rows(forbund, _pinned(where.get("insats_id")), period_ids)

    def _small_mart(self, mart: str) -> tuple[list[Row], dict[Any, list[Row]]] | None:
        if mart not in self._small:
            n = self.con.execute(f'select count(*) from {SCHEMA}."{mart}"').fetchone()[0]
            if n > SMALL_MART_ROWS:
                self._small[mart] = None
            else:
                rows = super().select(mart)
                self._small[mart] = (rows, by(rows, "forbund") if "forbund" in self.columns[mart] else {})
        return self._small[mart]

    def _read_facts(self, mart: str, typ: str) -> pa.Table:
        forbund, ids = sorted(self.forbund), sorted(self.period_ids[typ])
        sql = (
            f'select * from {SCHEMA}."{mart}" where forbund in ({", ".join("?" for _ in forbund)}) and period_typ = ? '
            f"and period_id in ({', '.join('?' for _ in ids)}) order by forbund, insats_id, period_id"
        )
        return self.con.execute(sql, [*forbund, typ, *ids]).to_arrow_table()
