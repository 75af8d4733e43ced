"""The synthetic personnummer and which person takes which chain of SUS episodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.demo.codes import BIRTH_FIRST, BIRTH_LAST, SERIALS, UTB_P
from pipelines.demo.shared import choose, day_number, luhn_check_digit, overlaps_earlier, year_month_day
from pipelines.demo.world import World


@dataclass
class Persons:
    pnr12: pl.Series  # 'ÅÅÅÅMMDDXXXX'
    birth: np.ndarray  # days
    man: np.ndarray  # bool
    utb: np.ndarray  # education index
    by: np.ndarray  # birth year, month, day
    bm: np.ndarray
    bd: np.ndarray
    pnr_rank: np.ndarray  # position of the personnummer in sorted order


def person_space(rng: np.random.Generator) -> tuple[Persons, np.ndarray]:
    """All synthetic personnummer (birth 1960-2004, birth numbers 980-999), in weighted random order."""
    b0, b1 = day_number(BIRTH_FIRST), day_number(BIRTH_LAST)
    bdays = np.arange(b0, b1 + 1)
    birth = np.repeat(bdays, len(SERIALS))
    serial = np.tile(SERIALS, len(bdays))
    y, m, d = year_month_day(birth)
    man = serial % 2 == 1
    samord = rng.random(len(birth)) < 0.004
    dd = d + np.where(samord, 60, 0)
    yy = y % 100
    digits = np.stack(
        [yy // 10, yy % 10, m // 10, m % 10, dd // 10, dd % 10, serial // 100, serial // 10 % 10, serial % 10], axis=1
    )
    check = luhn_check_digit(digits)
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
    utb = choose(rng, UTB_P, len(birth))
    pnr_rank = np.empty(len(birth), np.int64)
    pnr_rank[np.lexsort((serial, dd, m, y))] = np.arange(len(birth))
    persons = Persons(pnr12=pnr, birth=birth, man=man, utb=utb, by=y, bm=m, bd=d, pnr_rank=pnr_rank)
    return persons, order


def personnummer_forms(
    rng: np.random.Generator, pnr12: pl.Series, p_short: float = 0.02, p_nodash: float = 0.02
) -> pl.Series:
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


def with_dash(pnr12: pl.Series) -> pl.Series:
    return pnr12.str.slice(0, 8) + "-" + pnr12.str.slice(8, 4)


def assign_persons(
    rng: np.random.Generator, world: World, chains: pl.DataFrame, ep: pl.DataFrame
) -> tuple[Persons, pl.DataFrame, np.ndarray, int]:
    """Give each chain a person, in order of the chains' first starts; the first people of the
    space are reserved for Pro Capita's clients without an insats and for co-applicants. Returns
    the persons, the episodes with their person, the reserved people and how many of them are
    Pro Capita clients without an insats."""
    ins = world.ins
    persons, order = person_space(rng)
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
    clash = overlaps_earlier(group, ep["s"].to_numpy(), ep["t"].to_numpy(), ep["chain"].to_numpy())
    return persons, ep.filter(pl.Series(~clash)), reserved, n_nonins
