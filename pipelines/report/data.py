"""Reading the marts of bi.duckdb: selecting and shaping only.

Every query here is `select <columns> from marts.<mart> where <filters>`; the shaping (sums over
kon and, for a förbund-level report, over the förbund's insatser; ratios of totals recomputed
from the sums the marts carry beside them, as marts.md promises) is done in Python on the
few rows one report needs. Nothing person-level exists in bi.duckdb and nothing else is read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import duckdb

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
    def open(cls, bi_path: Path) -> "MartReader":
        if not Path(bi_path).exists():
            raise FileNotFoundError(f"{bi_path} does not exist: run `finsam refresh` first")
        return cls(duckdb.connect(str(bi_path), read_only=True))

    def close(self) -> None:
        self.con.close()

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
        return [dict(zip(names, r)) for r in relation.fetchall()]

    # dimensions --------------------------------------------------------------------------------
    def period(self, period_id: str, period_typ: str | None = None) -> Period | None:
        where: dict[str, Any] = {"period_id": period_id}
        if period_typ:
            where["period_typ"] = period_typ
        rows = self.select("dim_period", where)
        if not rows:
            return None
        if len(rows) > 1:  # cannot happen with domain.md's ids; be explicit if it ever does
            raise ValueError(f"period id {period_id!r} is ambiguous in dim_period: {[r['period_typ'] for r in rows]}")
        r = rows[0]
        return Period(
            period_typ=r["period_typ"],
            period_id=r["period_id"],
            period_start=r["period_start"],
            period_slut=r["period_slut"],
            period_slut_as_of=r.get("period_slut_as_of"),
            is_complete=bool(r.get("is_complete", True)),
            as_of=r.get("as_of"),
        )

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
        if any(isinstance(v, (int, float)) and not isinstance(v, bool) and v for c, v in r.items() if c not in ("sortering",)):
            seen.append(k)
    order = {k: i for i, k in enumerate(KON_ORDER)}
    return sorted(seen, key=lambda k: order.get(k, 99))
