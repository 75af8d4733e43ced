"""Pro Capita: activities, attendance and payments of ekonomiskt bistånd."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from pipelines.demo.codes import DATA_START, F_FSTOD, FRANVARO, NARVARO_COLUMNS, STATUS
from pipelines.demo.files import ExportFolder, yearly_file_names
from pipelines.demo.persons import Persons, with_dash
from pipelines.demo.shared import (
    choose,
    date_texts,
    day_number,
    hours_text,
    labels,
    month_index,
    next_weekday,
    overlaps_earlier,
    year_month_day,
)
from pipelines.demo.world import World


def write_procapita(
    rng_act, rng_att, rng_pay, out: ExportFolder, world: World, ep: pl.DataFrame, persons: Persons,
    reserved: np.ndarray, n_nonins: int, end: dt.date, holidays: np.ndarray, split: bool, d_tag: str,
) -> None:  # fmt: skip
    ins = world.ins
    end_d = day_number(end)
    data_start = day_number(DATA_START)
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
    ni_s = day_number(DATA_START) + rng_act.integers(0, end_d - data_start - 20, n_ni)
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
    clash = overlaps_earlier(
        acts["person"].to_numpy(), acts["start"].to_numpy(), acts["slut"].to_numpy(), acts["order"].to_numpy()
    )
    acts = acts.filter(pl.Series(~clash))
    ins_idx = acts["ins"].to_numpy()
    act_out = pl.DataFrame(
        {
            "Personnummer": with_dash(persons.pnr12.gather(acts["person"].to_numpy())),
            "Aktivitet": labels(akt_namn, acts["typ"].to_numpy()),
            "Insats-ID": labels(ins["id"].to_list(), ins_idx),
            "Beslutsdatum": date_texts(acts["beslut"].to_numpy()),
            "Startdatum": date_texts(acts["start"].to_numpy()),
            "Planerat slutdatum": date_texts(acts["plan"].to_numpy()),
            "Slutdatum": date_texts(acts["slut"].to_numpy()),
            "Status": labels(STATUS, acts["status"].to_numpy()),
            "Planerade timmar per vecka": acts["tim"].cast(pl.String),
        }
    )
    out.csv(f"procapita_aktiviteter_{d_tag}.csv", act_out, encoding="cp1252", crlf=True)

    # ---- attendance, in chunks of activities
    names = yearly_file_names("procapita_narvaro", "csv", years, end, split)
    handles = {}
    try:
        for key, name in names.items():
            path = out.out_dir / name
            handles[key] = path.open("wb")
            out.paths.append(path)
        header_done: set[int | None] = set()

        def write(key: int | None, frame: pl.DataFrame) -> None:
            header = key not in header_done
            ExportFolder.write_frame(
                handles[key], frame, sep=";", encoding="cp1252", bom=False, crlf=True, header=header
            )
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
    names = yearly_file_names("procapita_ekonomiskt_bistand", "txt", years, end, split)
    year_of_row = pay["month"] // 12 + 1970  # rows are sorted by month
    for key, name in names.items():
        lo, hi = (0, len(year_of_row)) if key is None else np.searchsorted(year_of_row, [key, key + 1])
        path = out.out_dir / name
        with path.open("wb") as fh:
            for off in range(lo, max(hi, lo + 1), 1_000_000):
                part = _payment_frame(pay, persons, slice(off, min(off + 1_000_000, hi)))
                ExportFolder.write_frame(fh, part, sep="\t", encoding="cp1252", bom=False, crlf=True, header=off == lo)
        out.paths.append(path)


def _activities(rng, aktiviteter: list[dict], person, s, t, ins_idx, end_d: int) -> pl.DataFrame:
    """Up to three consecutive activities inside each episode [s, t] (t < 0 = ongoing)."""
    n = len(person)
    stop = np.where(t >= 0, t, end_d)
    cur = next_weekday(s + rng.integers(0, 15, n))
    alive = np.ones(n, bool)
    frames = []
    planned_choices = np.array([56, 70, 84, 91, 112])
    aw = np.array([a["vikt"] for a in aktiviteter])
    for k in range(3):
        p_next = [1.0, 0.55, 0.35][k]
        act = alive & (cur <= stop) & (cur <= end_d) & (rng.random(n) < p_next)
        typ = choose(rng, aw, n)
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
        beslut = np.maximum(cur - rng.integers(3, 22, n), day_number(DATA_START))
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
        cur = next_weekday(a_end + rng.integers(1, 22, n))
    return pl.concat(frames).sort("order")


_MASKS = {d: [m for m in range(32) if bin(m).count("1") == d] for d in range(1, 6)}


def _attendance(
    rng, acts: pl.DataFrame, persons: Persons, akt_namn: list[str], end_d: int, holidays: np.ndarray,
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
    pnr = with_dash(persons.pnr12.gather(acts["person"].to_numpy()))
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
        reason = np.where(present, -1, choose(rng, [0.5, 0.3, 0.2], k))
        y, _, _ = year_month_day(day)
        yield pl.DataFrame(
            {
                "Personnummer": pnr.gather(a_idx),
                "Aktivitet": labels(akt_namn, typ[a_idx]),
                "Datum": date_texts(day),
                "Planerade timmar": hours_text(planned),
                "Närvarotimmar": hours_text(narv),
                "Frånvaroorsak": labels(FRANVARO, reason),
                "_y": y,
            }
        )
        i = j


def _payments(rng, world: World, ep: pl.DataFrame, persons: Persons, reserved: np.ndarray, end: dt.date) -> dict:
    """Monthly payments as compact arrays sorted by (month, kommun, personnummer)."""
    ins = world.ins
    end_m = int(month_index(np.array([day_number(end)]))[0])
    start_m = int(month_index(np.array([day_number(DATA_START)]))[0])
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
    ms, mt = month_index(s), np.where(t >= 0, month_index(np.maximum(t, 0)), end_m + 1000)
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


def _payment_frame(pay: dict, persons: Persons, sl: slice) -> pl.DataFrame:
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
