"""The förbund and their insatser (world.yml, grown with `scale`)."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
import polars as pl
import yaml

from pipelines.demo.codes import DEFAULT_MAL, WORLD_FILE
from pipelines.demo.shared import ascii_fold, day_number, slug


@dataclass
class World:
    forbund: list[dict]  # namn, slug, region, format, ansvar, kommuner[{namn, kod, invanare, finansiar, distrikt}]
    ins: pl.DataFrame  # one row per insats (see build_world)
    types: dict
    raw: dict  # world.yml


def _finansiar_name(kommun: str) -> str:
    if kommun[-1].lower() in "aeiouyåäösxz":
        return f"{kommun} kommun"
    return f"{kommun}s kommun"


def _n_forbund(scale: float, n_available: int) -> int:
    if scale <= 1:
        return 3
    return int(min(3 + n_available, max(3, round(3 * scale**0.565))))


def build_world(rng: np.random.Generator, scale: float, end: dt.date) -> World:
    world = yaml.safe_load(WORLD_FILE.read_text(encoding="utf-8"))
    types = world["insats_types"]
    end_d = day_number(end)
    n_f = _n_forbund(scale, len(world["extra_forbund"]))
    forbund: list[dict] = []
    rows: list[dict] = []

    def add_insats(fi: int, spec: dict, kapacitet: float | None) -> None:
        t = types[spec["typ"]]
        start = day_number(spec["start"])
        slut = day_number(spec["slut"]) if spec.get("slut") else -1
        if start > end_d - 60:  # not started (or barely) at the export: not in the register yet
            return
        if slut > end_d:
            slut = -1
        rows.append(
            {
                "forbund": fi,
                "id": spec["id"],
                "namn": spec["namn"],
                "typ": spec["typ"],
                "start": start,
                "slut": slut,
                "arsplatser": spec.get("arsplatser"),
                "kapacitet": float(
                    kapacitet if kapacitet is not None else (spec.get("arsplatser") or spec.get("kapacitet"))
                ),
                "provotid": int(spec.get("provotid", t["provotid"])),
                "malutfall": spec.get("malutfall", DEFAULT_MAL),
                "steg": bool(spec.get("steg", t["steg"])),
                "aktiviteter": bool(t["aktiviteter"]),
                "median": float(t["median_dagar"]),
                "sigma": float(t["sigma"]),
                "kostnad": float(t["kostnad_per_plats"]),
                "verksamhet": spec.get("verksamhet", t["verksamhet"]),
                "remittent": t["remittent"],
                "base": fi < 3,
            }
        )

    for fi, f in enumerate(world["base_forbund"]):
        kommuner = [
            {
                "namn": k["namn"],
                "kod": k["kod"],
                "invanare": k["invanare"],
                "finansiar": k.get("finansiar") or _finansiar_name(k["namn"]),
                "distrikt": k.get("distrikt", 1),
            }
            for k in f["kommuner"]
        ]
        forbund.append(
            {"namn": f["namn"], "slug": f["slug"], "region": f["region"], "format": f["format"], "kommuner": kommuner}
        )
        for spec in f["insatser"]:
            add_insats(fi, spec, None)

    extra_formats = ["csv_cp1252", "csv_utf8_bom", "csv_cp1252", "csv_utf8_bom", "csv_cp1252", "xlsx"]
    used_ids = {r["id"] for r in rows}
    type_keys = list(types)
    type_w = np.array([types[k]["vikt"] for k in type_keys])
    max_extra_ins = 3 + max(1, round(math.sqrt(scale)))
    for j, f in enumerate(world["extra_forbund"][: n_f - 3]):
        fi = len(forbund)
        kommuner = []
        for k in f["kommuner"]:
            namn, kod, inv = k[0], k[1], k[2]
            fin = k[3] if len(k) > 3 else _finansiar_name(namn)
            distrikt = 1 + int(inv // 120_000)
            kommuner.append({"namn": namn, "kod": kod, "invanare": inv, "finansiar": fin, "distrikt": distrikt})
        forbund.append(
            {
                "namn": f["namn"],
                "slug": slug(f["namn"]),
                "region": f["region"],
                "format": extra_formats[j % len(extra_formats)],
                "kommuner": kommuner,
            }
        )
        orter = f.get("orter") or [k["namn"] for k in sorted(kommuner, key=lambda k: -k["invanare"])]
        pop = sum(k["invanare"] for k in kommuner)
        n_ins = int(rng.integers(3, max_extra_ins + 1))
        first = ["SOT" if rng.random() < 0.5 else "SAMV", "AC" if rng.random() < 0.6 else "ARBT"]
        chosen = first + list(rng.choice(type_keys, size=n_ins - 2, p=type_w / type_w.sum()))
        per_type: dict[str, int] = {}
        for typ in chosen:
            n_same = per_type.get(typ, 0)
            per_type[typ] = n_same + 1
            ort = orter[n_same % len(orter)]
            suffix = "" if n_same < len(orter) else f" {n_same // len(orter) + 1}"
            namn = types[typ]["namn"].format(ort=ort) + suffix
            base_id = f"{typ}-{re.sub(r'[^A-Z0-9]', '', ascii_fold(ort).upper())[:12]}"
            iid, k = base_id, 2
            while iid in used_ids:
                iid, k = f"{base_id}-{k}", k + 1
            used_ids.add(iid)
            year = int(rng.integers(2008, 2021)) if rng.random() < 0.7 else int(rng.integers(2021, 2025))
            start = dt.date(year, int(rng.integers(1, 13)), 1)
            slut = None
            if rng.random() < 0.12:
                lo = max(start + dt.timedelta(days=400), dt.date(2022, 6, 30))
                slut = lo + dt.timedelta(days=int(rng.integers(0, 1200)))
                slut = dt.date(slut.year, slut.month, 1) - dt.timedelta(days=1)  # the end of a month
            mal = DEFAULT_MAL
            if types[typ]["aktiviteter"] and rng.random() < 0.3:
                mal = DEFAULT_MAL + ", aktivt_arbetssokande"
            steg = typ == "SOT" or (typ == "SAMV" and rng.random() < 0.5)
            # capacity is decided later (proportional share of the scaled participants)
            ort_pop = next((k["invanare"] for k in kommuner if k["namn"] == ort), pop / len(orter))
            weight = types[typ]["vikt"] * math.sqrt(pop / 50_000) * (ort_pop / pop) ** 0.3 * rng.lognormal(0, 0.3)
            spec = {"id": iid, "typ": typ, "namn": namn, "start": start, "slut": slut, "steg": steg, "malutfall": mal}
            add_insats(fi, spec, float(weight))
            if rows and rows[-1]["id"] == iid and rng.random() < 0.05:
                rows[-1]["no_arsplatser"] = True

    ansvar = rng.choice(np.arange(1100, 9900, 10), size=len(forbund), replace=False)
    for f, a in zip(forbund, ansvar, strict=True):
        f["ansvar"] = str(int(a))
    for r in rows:
        r.setdefault("no_arsplatser", False)
    ins = pl.DataFrame(rows, infer_schema_length=None)
    return World(forbund=forbund, ins=ins, types=types, raw=world)
