"""SUS: the episodes and their attributes, sus_deltagare per förbund and sus_anonyma."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from pipelines.demo.codes import (
    AVSLUT,
    DATA_START,
    EFTER_BY_SYSS,
    F_INGEN,
    FORE_BY_REMITTENT,
    KON,
    MAX_DAYS,
    MONTH_WEIGHT,
    OCCUPANCY,
    REMITTENT,
    REMITTENT_PROFILES,
    SECOND_SOURCE,
    SUS_COLUMNS,
    SYSS,
    TID,
    TID_P,
    UTB,
)
from pipelines.demo.files import ExportFolder, write_sus_xlsx
from pipelines.demo.persons import Persons, personnummer_forms
from pipelines.demo.shared import (
    choose,
    choose_per_row,
    date_texts,
    day_number,
    fors_text,
    labels,
    next_weekday,
    year_month_day,
)
from pipelines.demo.world import World


def _day_weights(end_d: int, holidays: np.ndarray) -> np.ndarray:
    start = day_number(DATA_START)
    days = np.arange(start, end_d + 1)
    _, m, _ = year_month_day(days)
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


def episodes(
    rng: np.random.Generator, world: World, scale: float, end: dt.date, holidays: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Chains (person-slots in one insats) and their episodes, without persons."""
    ins = world.ins
    end_d = day_number(end)
    data_start = day_number(DATA_START)
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
    kind1 = choose(rng, [0.918, 0.07, 0.012], n)  # 0 regular, 1 early dropout, 2 felregistrering
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
    s2 = next_weekday(s2)
    has2 &= s2 <= stop
    kind2 = choose(rng, [0.93, 0.07], n)
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


def sus_attributes(rng: np.random.Generator, ep: pl.DataFrame, world: World) -> pl.DataFrame:
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
    rem = choose_per_row(rng, np.array([REMITTENT_PROFILES[p] for p in profiles]), prof_idx)

    fore1 = choose_per_row(rng, FORE_BY_REMITTENT, rem)
    sec_vals, sec_p = SECOND_SOURCE
    fore2 = np.array(sec_vals)[choose(rng, sec_p, n)]
    fore2 = np.where((rng.random(n) < 0.22) & (fore1 != F_INGEN) & (fore2 != fore1), fore2, -1)
    tid = choose(rng, TID_P, n)
    tid = np.where(fore1 == F_INGEN, len(TID) - 1, tid)

    # end reason
    early = ended & (t - s < prov) & (kind != 2) & ~cut
    reason = np.full(n, -1)
    reg_reason = choose(rng, [0.78, 0.05, 0.08, 0.03, 0.04, 0.02], n)
    early_reason = np.array([4, 5, 1, 0])[choose(rng, [0.55, 0.15, 0.15, 0.15], n)]
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
        syss[m] = np.array(vals)[choose(rng, p, int(m.sum()))]
    early_syss = np.array([5, 4, -1])[choose(rng, [0.25, 0.15, 0.6], n)]
    syss = np.where(early & (reason == 0), early_syss, syss)

    # försörjning efter
    eft1, eft2 = np.full(n, -1), np.full(n, -1)
    for sv, (opts, p) in EFTER_BY_SYSS.items():
        m = ended & (kind != 2) & (syss == sv)
        k = int(m.sum())
        if not k:
            continue
        o = np.array(opts)[choose(rng, p, k)]
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


def _year_overlap(start: int, slut: int, year: int, end_d: int) -> bool:
    y0, y1 = day_number(dt.date(year, 1, 1)), min(day_number(dt.date(year, 12, 31)), end_d)
    stop = slut if slut >= 0 else end_d
    return start <= y1 and stop >= y0


def write_sus_anonyma(rng, out: ExportFolder, world: World, end: dt.date, d_tag: str) -> None:
    ins = world.ins
    end_d = day_number(end)
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


def write_sus_deltagare(
    rng: np.random.Generator, out: ExportFolder, world: World, ep: pl.DataFrame, persons: Persons,
    pnr12_ep: pl.Series, d_tag: str, stamp: dt.datetime,
) -> None:  # fmt: skip
    """sus_deltagare, one file per förbund in the förbund's form (xlsx, cp1252 or UTF-8 with BOM)."""
    ins = world.ins
    f_of_ins = ins["forbund"].to_numpy()
    f_namn = pl.Series([f["namn"] for f in world.forbund], dtype=pl.String)
    person = ep["person"].to_numpy()
    sus = pl.DataFrame(
        {
            "f": f_of_ins[ep["ins"].to_numpy()],
            "Förbund": f_namn.gather(f_of_ins[ep["ins"].to_numpy()]),
            "Insats-ID": ins["id"].gather(ep["ins"].to_numpy()),
            "Insatsnamn": ins["namn"].gather(ep["ins"].to_numpy()),
            "Personnummer": personnummer_forms(rng, pnr12_ep),
            "Kön": labels(KON, persons.man[person].astype(np.int64)),
            "Startdatum": date_texts(ep["s"].to_numpy()),
            "Slutdatum": date_texts(ep["t"].to_numpy()),
            "Avslutsanledning": labels(AVSLUT, ep["reason"].to_numpy()),
            "Sysselsättning efter": labels(SYSS, ep["syss"].to_numpy()),
            "Försörjning före": fors_text(ep["fore1"].to_numpy(), ep["fore2"].to_numpy()),
            "Försörjning efter": fors_text(ep["eft1"].to_numpy(), ep["eft2"].to_numpy()),
            "Tid i offentlig försörjning": labels(TID, ep["tid"].to_numpy()),
            "Utbildningsnivå": labels(UTB, persons.utb[person]),
            "Remittent": labels(REMITTENT, ep["rem"].to_numpy()),
            "_s": ep["s"],
            "_t": ep["t"],
        }
    ).sort(["f", "Insats-ID", "_s", "Personnummer"])
    for fi, f in enumerate(world.forbund):
        part = sus.filter(pl.col("f") == fi)
        body = part.select(SUS_COLUMNS)
        name = f"sus_deltagare_{f['slug']}_{d_tag}"
        if f["format"] == "xlsx":
            path = out.out_dir / f"{name}.xlsx"
            write_sus_xlsx(path, body, part["_s"].to_numpy(), part["_t"].to_numpy(), stamp)
            out.paths.append(path)
        elif f["format"] == "csv_cp1252":
            out.csv(f"{name}.csv", body, sep=";", encoding="cp1252", crlf=True)
        else:
            out.csv(f"{name}.csv", body, sep=",", bom=True, crlf=True)
