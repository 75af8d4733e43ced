"""The insats register (insatser) and the processtrappa step measurements (stegmatning)."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.demo.codes import STEG_NAMN
from pipelines.demo.files import ExportFolder
from pipelines.demo.persons import with_dash
from pipelines.demo.shared import choose, date_texts, labels
from pipelines.demo.world import World


def _registration_columns(world: World) -> dict[str, pl.Series]:
    """The register's optional columns for Uppföljning Finsam: the budgeted participants are the
    people a year of the registered årsplatser takes at the type's mean duration (none without
    årsplatser), the inriktning is the type's verksamhet, the målgrupp comes from world.yml.
    No random draws, so the other files stay as they were."""
    ins = world.ins
    places = ins["arsplatser_reg"].to_numpy().astype(float)
    mean_dur = ins["median"].to_numpy() * np.exp(ins["sigma"].to_numpy() ** 2 / 2)
    budgeted = np.where(places > 0, np.rint(places * 365.25 / mean_dur), -1).astype(np.int64)
    return {
        "Budgeterat antal deltagare": pl.Series(budgeted).cast(pl.String).replace("-1", None),
        "Inriktning": ins["verksamhet"],
        "Målgrupp": pl.Series([world.raw["malgrupper"][t] for t in ins["typ"].to_list()], dtype=pl.String),
    }


def write_stegmatning(rng, out: ExportFolder, world: World, ep: pl.DataFrame, pnr12_ep: pl.Series, d_tag: str) -> None:
    ins = world.ins
    steg_ins = ins["steg"].to_numpy()
    ii = ep["ins"].to_numpy()
    n = ep.height
    reason = ep["reason"].to_numpy()
    ended = ep["t"].to_numpy() >= 0
    syss = ep["syss"].to_numpy()
    early = ep["early"].to_numpy()
    has_start = steg_ins[ii] & (reason != 6) & (rng.random(n) < 0.92)
    p_end = np.where(early, 0.5, 0.88)
    has_end = has_start & ended & (reason != 3) & (rng.random(n) < p_end)
    s0 = np.array([1, 2, 3])[choose(rng, [0.55, 0.35, 0.10], n)]
    delta = np.array([-1, 0, 1, 2, 3])[choose(rng, [0.05, 0.25, 0.40, 0.25, 0.05], n)]
    s1 = np.clip(s0 + delta, 1, 4)
    s1 = np.where((syss == 0) & (rng.random(n) < 0.7), 4, s1)
    s1 = np.where(early, np.minimum(s1, s0), s1)
    as_name = rng.random(2 * n) < 0.10
    keep = np.concatenate([has_start, has_end])
    row_ep = np.concatenate([np.arange(n), np.arange(n)])[keep]
    steps = np.concatenate([s0, s1])[keep]
    step_txt = pl.DataFrame({"n": steps, "a": as_name[keep]}).select(
        pl.when(pl.col("a")).then(labels(STEG_NAMN, steps - 1)).otherwise(pl.col("n").cast(pl.String))
    )
    f_of_ins = ins["forbund"].to_numpy()
    df = pl.DataFrame(
        {
            "f": f_of_ins[ii[row_ep]],
            "Personnummer": with_dash(pnr12_ep.gather(row_ep)),
            "Insats-ID": ins["id"].gather(ii[row_ep]),
            "Startdatum": date_texts(ep["s"].to_numpy()[row_ep]),
            "Mättillfälle": labels(["Start", "Avslut"], (np.flatnonzero(keep) >= n).astype(np.int64)),
            "Steg": step_txt.to_series(),
            "_o": np.flatnonzero(keep) % n * 2 + (np.flatnonzero(keep) >= n),
        }
    )
    df = df.sort(["f", "Insats-ID", "Startdatum", "_o"])
    for fi in sorted(set(ins.filter(pl.col("steg"))["forbund"].to_list())):  # a file even when empty
        part = df.filter(pl.col("f") == fi).select(["Personnummer", "Insats-ID", "Startdatum", "Mättillfälle", "Steg"])
        out.csv(f"stegmatning_{world.forbund[fi]['slug']}_{d_tag}.csv", part)


def write_insatser(out: ExportFolder, world: World, d_tag: str) -> None:
    """The insats register: one row per insats, with the optional Uppföljning Finsam columns."""
    ins = world.ins
    f_namn = pl.Series([f["namn"] for f in world.forbund], dtype=pl.String)
    ins_out = pl.DataFrame(
        {
            "Förbund": f_namn.gather(ins["forbund"].to_numpy()),
            "Insats-ID": ins["id"],
            "Insatsnamn": ins["namn"],
            "Startdatum": date_texts(ins["start"].to_numpy()),
            "Slutdatum": date_texts(ins["slut"].to_numpy()),
            "Årsplatser": pl.Series(ins["arsplatser_reg"].to_numpy())
            .cast(pl.Int64)
            .cast(pl.String)
            .replace("-1", None),
            "Provotid dagar": ins["provotid"].cast(pl.String),
            "Målutfall": ins["malutfall"],
            **_registration_columns(world),
        }
    )
    out.csv(f"insatser_{d_tag}.csv", ins_out)
