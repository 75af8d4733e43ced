"""Money: budget, finansiering and the ledger on Kommun-Bas accounts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from pipelines.demo.codes import DATA_START, KOSTNADSSLAG
from pipelines.demo.files import ExportFolder, yearly_file_names
from pipelines.demo.shared import amount_text, choose, day_number, labels, month_index
from pipelines.demo.world import World


def write_economy(rng, out: ExportFolder, world: World, end: dt.date, split: bool, d_tag: str) -> None:
    konton = world.raw["konton"]
    ins = world.ins
    end_d = day_number(end)
    end_m = int(month_index(np.array([end_d]))[0])
    years = list(range(DATA_START.year, end.year + 1))
    n_ins = ins.height
    start_m = month_index(ins["start"].to_numpy())
    slut = ins["slut"].to_numpy()
    slut_m = np.where(slut >= 0, month_index(np.maximum(slut, 0)), 10**9)
    cap = ins["kapacitet"].to_numpy()
    kostnad = ins["kostnad"].to_numpy()
    f_of = ins["forbund"].to_numpy()
    staff = np.maximum(1, np.rint(cap * kostnad * 0.72 / 540_000)).astype(np.int64)  # ~34 000 kr lön a month
    shares = np.array([0.72, 0.13, 0.07, 0.08])

    # ---- budget (full-year equivalents per insats-year, prorated for running months)
    gi, gy, gfrac = [], [], []
    for i in range(n_ins):
        for y in years:
            m_lo = (y - 1970) * 12
            run = np.arange(m_lo, m_lo + 12)
            run = run[(run >= start_m[i]) & (run <= slut_m[i])]
            if len(run):
                gi.append(i)
                gy.append(y)
                gfrac.append(len(run) / 12)
    gi, gy, gfrac = np.array(gi), np.array(gy), np.array(gfrac)
    g = len(gi)
    infl = 1.03 ** (gy - 2021)
    per_ins = rng.lognormal(0, 0.08, n_ins)
    total_fy = cap[gi] * kostnad[gi] * infl * per_ins[gi] * rng.lognormal(0, 0.04, g)
    sh = shares[None, :] * rng.lognormal(0, 0.12, (g, 4))
    sh = sh / sh.sum(axis=1, keepdims=True)
    b_fy = total_fy[:, None] * sh  # (g, 4) kr, full year
    b_dec = np.maximum(np.rint(b_fy * gfrac[:, None] / 1000) * 1000, 1000).astype(np.int64)
    f_names = [f["namn"] for f in world.forbund]
    bud_rows = {"År": [], "Förbund": [], "Insats-ID": [], "Kostnadsslag": [], "Belopp": []}
    ids = ins["id"].to_list()
    for k in range(4):
        bud_rows["År"].extend(gy.tolist())
        bud_rows["Förbund"].extend(f_names[f] for f in f_of[gi])
        bud_rows["Insats-ID"].extend(ids[i] for i in gi)
        bud_rows["Kostnadsslag"].extend([KOSTNADSSLAG[k]] * g)
        bud_rows["Belopp"].extend(b_dec[:, k].tolist())
    # administration: one Övriga kostnader row per förbund and year
    f_year_total: dict[tuple[int, int], float] = {}
    for f, y, tot in zip(f_of[gi], gy, b_dec.sum(axis=1), strict=True):
        f_year_total[(int(f), int(y))] = f_year_total.get((int(f), int(y)), 0) + int(tot)
    admin = {}
    for (f, y), tot in sorted(f_year_total.items()):
        a = int(round(tot * rng.uniform(0.05, 0.09) / 10_000) * 10_000)
        a = max(a, 50_000)
        admin[(f, y)] = a
        bud_rows["År"].append(y)
        bud_rows["Förbund"].append(f_names[f])
        bud_rows["Insats-ID"].append(None)
        bud_rows["Kostnadsslag"].append("Övriga kostnader")
        bud_rows["Belopp"].append(a)
    schema = {
        "År": pl.Int64,
        "Förbund": pl.String,
        "Insats-ID": pl.String,
        "Kostnadsslag": pl.String,
        "Belopp": pl.Int64,
    }
    budget = pl.DataFrame(bud_rows, schema=schema)
    budget = (
        budget.with_columns(pl.col("Kostnadsslag").replace_strict(KOSTNADSSLAG, list(range(4))).alias("_k"))
        .sort(["År", "Förbund", pl.col("Insats-ID").is_null(), "Insats-ID", "_k"])
        .drop("_k")
    )
    out.csv(f"budget_{d_tag}.csv", budget)

    # ---- finansiering: state 1/2 (Försäkringskassan), region 1/4, kommuner 1/4 by population
    fin_rows = []
    fin_by_fy: dict[tuple[int, int], list[tuple[str, str, int]]] = {}
    for (f, y), tot in sorted(f_year_total.items()):
        total = (tot + admin[(f, y)]) * rng.uniform(0.92, 1.0)
        total = int(round(total / 4000) * 4000)
        stat, region = total // 2, total // 4
        kom_total = total - stat - region
        fb = world.forbund[f]
        pops = np.array([k["invanare"] for k in fb["kommuner"]], float)
        kom = np.floor(kom_total * pops / pops.sum() / 1000) * 1000
        kom[np.argmax(pops)] += kom_total - kom.sum()
        items = [("stat", "Försäkringskassan", stat), ("region", fb["region"], region)]
        items += [("kommun", k["finansiar"], int(v)) for k, v in zip(fb["kommuner"], kom, strict=True)]
        fin_by_fy[(f, y)] = items
        for _, name, v in items:
            fin_rows.append((y, fb["namn"], name, int(v)))
    fin = pl.DataFrame(fin_rows, schema=["År", "Förbund", "Finansiär", "Belopp"], orient="row")
    out.csv(f"finansiering_{d_tag}.csv", fin)

    # ---- ledger
    led = _Ledger(konton)
    execf = np.clip(rng.normal(0.95, 0.06, g), 0.75, 1.12)
    fk = np.clip(execf[:, None] * rng.normal(1.0, 0.06, (g, 4)), 0.7, 1.15)  # spent / budget
    base_m = (gy - 1970) * 12
    g_f, g_i = f_of[gi], gi
    # salaries: one 5110 and one 5410 row per employee and month
    n_st = staff[gi]
    rep = np.repeat(np.arange(g), n_st * 12)
    mon = np.tile(np.arange(12), int(n_st.sum()))
    lon = b_fy[rep, 0] * 0.97 * fk[rep, 0] / 1.3142 / 12 / n_st[rep] * rng.normal(1, 0.03, len(rep))
    lon_ore = np.rint(lon * 100).astype(np.int64)
    both = np.repeat(np.arange(len(rep)), 2)  # lön and its sociala avgifter side by side
    konto = np.tile([konton["lon"][0], konton["sociala_avgifter"][0]], len(rep))
    ore = np.where(np.arange(len(both)) % 2 == 0, lon_ore[both], np.rint(lon_ore[both] * 0.3142).astype(np.int64))
    led.add(g_f[rep[both]], base_m[rep[both]] + mon[both], g_i[rep[both]], konto, ore)

    regions = [f["region"] for f in world.forbund]
    hosts = [max(f["kommuner"], key=lambda k: k["invanare"])["finansiar"] for f in world.forbund]

    def invoices(k_slag: int, lam, accounts, weights, share: float = 1.0) -> dict:
        """Invoices spread over the year: their sum is the (full-year) budget × spent share."""
        rep = np.repeat(np.arange(g), np.maximum(rng.poisson(lam), 1))
        w = rng.gamma(3.0, 1.0, len(rep))
        wsum = np.bincount(rep, weights=w, minlength=g)
        amt = b_fy[rep, k_slag] * share * fk[rep, k_slag] * w / wsum[rep]
        konto = np.array([a[0] for a in accounts])[choose(rng, weights, len(rep))]
        mon = rng.integers(0, 12, len(rep))
        motpart = np.where(konto == 6460, [led.motpart(regions[f]) for f in g_f[rep]] if len(rep) else -1, -1)
        return {
            "f": g_f[rep],
            "m": base_m[rep] + mon,
            "i": g_i[rep],
            "konto": konto,
            "ore": np.rint(amt * 100),
            "motpart": motpart,
        }

    inv = [
        invoices(0, np.full(g, 2.0), [konton["personal_ovrigt"]], [1.0], share=0.03),
        invoices(1, 6 + cap[gi] / 8, konton["externa"], [0.5, 0.3, 0.2]),
        invoices(3, 12 + cap[gi] / 5, konton["ovriga"], [0.3, 0.2, 0.1, 0.15, 0.15, 0.1]),
    ]
    # premises: monthly rent (whole kronor, to the host kommun) and quarterly cleaning
    (k_hyra, _), (k_stad, _) = konton["lokaler"]
    rep = np.repeat(np.arange(g), 12)
    rent = np.rint(b_fy[rep, 2] * fk[rep, 2] * 0.85 / 12) * 100
    host = np.array([led.motpart(h) for h in hosts])
    led.add(g_f[rep], base_m[rep] + np.tile(np.arange(12), g), g_i[rep], k_hyra, rent, host[g_f[rep]])
    rep = np.repeat(np.arange(g), 4)
    clean = np.rint(b_fy[rep, 2] * fk[rep, 2] * 0.15 / 4 * 100)
    led.add(g_f[rep], base_m[rep] + np.tile([2, 5, 8, 11], g), g_i[rep], k_stad, clean)

    # administration of each förbund (empty Projekt), around its budget row
    fy = sorted(admin)
    af = np.array([f for f, _ in fy])
    ay = np.array([y for _, y in fy])
    spent = np.array([admin[k] for k in fy], float) * np.clip(rng.normal(0.95, 0.06, len(fy)), 0.75, 1.1)
    rep = np.repeat(np.arange(len(fy)), np.maximum(rng.poisson(15, len(fy)), 1))
    w = rng.gamma(2.0, 1.0, len(rep))
    wsum = np.bincount(rep, weights=w, minlength=len(fy))
    admin_konton = np.array([a[0] for a in konton["administration"]])
    konto = admin_konton[choose(rng, [0.2, 0.1, 0.15, 0.1, 0.25, 0.2], len(rep))]
    mon = rng.integers(0, 12, len(rep))
    ore = np.rint(spent[rep] * w / wsum[rep] * 100)
    inv.append({"f": af[rep], "m": (ay[rep] - 1970) * 12 + mon, "i": -1, "konto": konto, "ore": ore})
    for part in inv:
        led.add(**part)
    # corrections: a few invoices are partly credited again in the same month
    for part in inv:
        n = len(part["konto"])
        pick = rng.random(n) < 0.015
        sel = {k: (v[pick] if isinstance(v, np.ndarray) and v.shape == (n,) else v) for k, v in part.items()}
        sel["ore"] = -np.rint(sel["ore"] * rng.uniform(0.2, 1.0, int(pick.sum())))
        led.add(**sel)
    # member contributions (credits on 3xxx), quarterly, and interest now and then (8xxx)
    for (f, y), items in sorted(fin_by_fy.items()):
        for typ, name, v in items:
            konto = konton["intakter"][typ][0]
            led.add(f, (y - 1970) * 12 + np.array([0, 3, 6, 9]), -1, konto, -round(v * 100 / 4), led.motpart(name))
        for _ in range(int(rng.integers(1, 4))):
            kk = int(rng.integers(0, 2))
            amt = int(rng.integers(5_000, 500_000)) * (-1 if kk == 0 else 1)
            led.add(f, (y - 1970) * 12 + int(rng.integers(0, 12)), -1, konton["finansiella"][kk][0], amt)

    df = led.frame()
    # only the months the insats ran, and nothing after `end`
    i_arr = df["i"].to_numpy()
    m_arr = df["m"].to_numpy()
    ii = np.maximum(i_arr, 0)
    running = (i_arr < 0) | ((m_arr >= start_m[ii]) & (m_arr <= slut_m[ii]))
    df = df.filter(pl.Series(running & (m_arr <= end_m) & (df["ore"].to_numpy() != 0)))
    i_arr = df["i"].to_numpy()
    i_arr = np.where(i_arr < 0, n_ins, i_arr)
    f_arr = df["f"].to_numpy()
    df = df.with_columns(
        pl.Series("Förbund", f_names, dtype=pl.String).gather(f_arr),
        ((pl.col("m") // 12 + 1970) * 100 + pl.col("m") % 12 + 1).cast(pl.String).alias("Period"),
        pl.Series("Ansvar", [f["ansvar"] for f in world.forbund], dtype=pl.String).gather(f_arr),
        pl.Series(ins["verksamhet"].to_list() + ["Administration"], dtype=pl.String).gather(i_arr).alias("Verksamhet"),
        pl.Series(ids + [None], dtype=pl.String).gather(i_arr).alias("Projekt"),
        pl.col("konto").cast(pl.String).alias("Konto"),
        pl.col("konto").replace_strict(led.konto_namn).alias("Kontobenämning"),
        labels(led.motparter, df["motpart"].to_numpy()).alias("Motpart"),
        amount_text(pl.col("ore")).alias("Belopp"),
        (pl.col("m") // 12 + 1970).alias("_y"),
    ).sort(["m", "f", "i", "konto", "o"])
    cols = ["Förbund", "Period", "Ansvar", "Verksamhet", "Projekt", "Konto", "Kontobenämning", "Motpart", "Belopp"]
    for key, name in yearly_file_names("ledger", "csv", years, end, split).items():
        part = df if key is None else df.filter(pl.col("_y") == key)
        out.csv(name, part.select(cols), encoding="cp1252", crlf=True)


class _Ledger:
    """Ledger rows as integer arrays (row order = booking order); texts are looked up at the end."""

    def __init__(self, konton: dict):
        self.parts: list[dict[str, np.ndarray]] = []
        self.motparter: list[str] = []
        self._motpart_idx: dict[str, int] = {}
        self.konto_namn: dict[int, str] = {}
        for v in konton.values():
            entries = v.values() if isinstance(v, dict) else ([v] if isinstance(v[0], int) else v)
            for konto, namn in entries:
                assert self.konto_namn.get(konto, namn) == namn, f"konto {konto} has two names"
                self.konto_namn[konto] = namn

    def motpart(self, name: str) -> int:
        if name not in self._motpart_idx:
            self._motpart_idx[name] = len(self.motparter)
            self.motparter.append(name)
        return self._motpart_idx[name]

    def add(self, f, m, i, konto, ore, motpart=-1) -> None:
        n = max(np.size(x) for x in (f, m, i, konto, ore, motpart))
        cols = {"f": f, "m": m, "i": i, "konto": konto, "ore": ore, "motpart": motpart}
        self.parts.append({k: np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)) for k, v in cols.items()})

    def frame(self) -> pl.DataFrame:
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in ("f", "m", "i", "konto", "ore", "motpart")}
        return pl.DataFrame(cols).with_row_index("o")
