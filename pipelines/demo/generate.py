"""Synthetic demo exports for all ten source kinds (`finsam demo-data`).

What the data looks like
------------------------
* **Who**: at scale 1 three förbund, each with three insatser:
  Samordningsförbundet Västerås (SOT-VAS "Samordningsteam Västerås", 111 årsplatser, provotid 90;
  IPS-VAS; UNGA-VAS, a project that ran 2022-03-01..2025-12-31), Södra Dalarnas
  Samordningsförbund (SAMV-AVESTA "Samverkansteam Avesta", 60 årsplatser, provotid 60;
  SAMV-HEDEMORA; ARBT-SATER from 2021-09-01) and Samordningsförbundet Malmö (AC-MALMO
  "Aktivitetscenter", provotid 30; MAC-MALMO; IPS-MALMO, registered without årsplatser). With
  `scale` > 1 more förbund are added from `world.yml` (real municipalities and their kommunkoder;
  about 3·scale^0.565 förbund: 4 at scale 2, 11 at 10, 75 at 300), each with 3 or more insatser,
  and the number of participants grows linearly with `scale` (about 3 400 episodes per unit of
  scale). Below scale 1 the three förbund keep their insatser and money and get fewer participants.
* **When**: every date lies in 2021-01-01..`end` (the insats register's own start dates may be
  older). Exports are stamped `end` + 2 days (file names `<kind>_..._ÅÅÅÅ-MM-DD`, the xlsx
  `Exekvering:` line). Episode starts are seasonal (few in July and at Christmas, almost none on
  weekends); durations are lognormal per insats type (months to ~2 years, capped at 760 days).
* **Episodes** (sus_deltagare): ~7 % early dropouts (ended inside provotid, mostly Avbrott/Flytt),
  ~1 % Felregistrering (often followed by a new, correct episode), ongoing episodes have empty
  Slutdatum/Avslutsanledning, ~7 % of people come back for a second episode later (never
  overlapping in one insats). Försörjning före depends on the remittent (Försörjningsstöd most
  common, ~20 % two sources); Försörjning efter follows the outcome (more Ingen offentlig
  försörjning / Aktivitetsstöd / Studiestöd) and is empty for ~12 % of ended episodes;
  Sysselsättning efter is sometimes empty.
* **Personnummer are synthetic**: birth dates 1960-01-01..2004-12-31 and birth numbers 980-999,
  i.e. the last four digits are always in the 98xx/99xx range, with a valid Luhn check digit; the
  third birth-number digit is odd for men, matching Kön / Kon1. ~0.4 % of people have a
  samordningsnummer (day + 60); ~2 % of SUS rows are written `ÅÅMMDD-XXXX` and ~2 % `ÅÅÅÅMMDDXXXX`.
  The space holds 328 740 numbers: above scale ~100 people are reused across insatser (starts
  are assigned in time order, and an episode that would overlap another of the same person in
  the same insats is dropped).
* **stegmatning**: teams of type SOT and the insatser marked `steg` in world.yml (SOT-VAS,
  SAMV-AVESTA and MAC-MALMO, so each base förbund can be compared; at larger scale every
  Samordningsteam and half of the Samverkansteam) measure processtrappa steps: Start for ~92 % of episodes, Avslut for most
  ended ones (not for Utskrivning-Utan mätning); ~10 % of steps are written as names.
* **Pro Capita**: participants of activity insatser (AC-MALMO, Arbetsträning, ...) plus ~30 % extra
  municipal clients without Insats-ID get 1-3 consecutive activities (Pågående / Fullföljd / ~13 %
  Avbruten of ended). Attendance: one row per scheduled weekday (no Swedish public holidays),
  Närvarotimmar ≤ Planerade timmar, Frånvaroorsak when absent. Ekonomiskt bistånd: monthly
  payments for ~85 % of participants with Försörjningsstöd before (and a few others), from 3-15
  months before start to 0-12 months after end, ~14 % with a co-applicant (Personnr2, mostly of
  the other sex, drawn from people who are not SUS participants);
  Hhstatus1 1 = ensamstående utan barn, 2 = ensamstående med barn, 3 = sammanboende utan barn,
  4 = sammanboende med barn.
* **Insats register**: also the optional Uppföljning Finsam columns: Budgeterat antal deltagare
  (a year of the registered årsplatser at the type's mean duration; empty without årsplatser),
  Inriktning (the type's verksamhet) and Målgrupp (per type, world.yml).
* **Money**: budget per år × förbund × insats × kostnadsslag plus one Övriga kostnader row with
  empty Insats-ID (the förbund's administration); finansiering with Försäkringskassan 1/2 (the
  state's share), the region 1/4, the kommuner 1/4 split by population; a ledger on Kommun-Bas
  accounts (5110/5410/5810 personal, 6420/6460/4610 external services, 6110/6150 premises,
  4xxx/6xxx/7xxx other, 3510-3530 member contributions as credits, 8310/8410 interest), one salary
  row per employee and month plus invoices, landing near budget (about 95 %, 75-115 %), ~1.5 % negative
  correction bookings.

Forms (docs/sources.md)
-----------------------
* `insatser_<d>.csv`, `budget_<d>.csv`, `finansiering_<d>.csv`, `stegmatning_<förbund>_<d>.csv`:
  UTF-8, `;`, LF.
* `sus_deltagare_<förbund>_<d>.*`: Västerås as `.xlsx` (preamble `SUS - Deltagarlista`,
  `Exekvering: <d> 07:15:00`, a blank row, header on row 4, a final `Slutsumma` row; Startdatum and
  Slutdatum are real Excel dates formatted yyyy-mm-dd, everything else text); Södra Dalarna as
  cp1252 + `;` + CRLF; Malmö as UTF-8 with BOM + `,` + CRLF (fields with commas quoted). Extra
  förbund rotate through the three forms (every sixth gets xlsx).
* `sus_anonyma_<d>.csv`: UTF-8 with BOM, `,`, CRLF.
* `procapita_ekonomiskt_bistand_<d>.txt`: Socialstyrelsen's layout, tab, CRLF, cp1252.
* `procapita_aktiviteter_<d>.csv`, `procapita_narvaro_<d>.csv` (hours with decimal comma) and
  `ledger_<d>.csv` (Förbund first, then the canonical columns; amounts with decimal comma and
  space thousands, e.g. `94 448,35`): cp1252, `;`, CRLF.
* Above scale 25 the kinds that are additive by month (ledger, procapita_narvaro,
  procapita_ekonomiskt_bistand) are split into one file per calendar year, each named with the
  date of a year-end export (`<kind>_<year+1>-01-12.*`, the last year with the export date), so
  no month is in two files and no date is after its file's date. SUS deltagare and stegmatning
  are always one file per förbund; procapita_aktiviteter (replaced whole) is always one file.

Deterministic: the same seed, scale and end give byte-identical files (numpy
Generator(PCG64) streams spawned from the seed; fixed xlsx timestamps).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from pipelines.demo.codes import DATA_START, SPLIT_SCALE
from pipelines.demo.economy import write_economy
from pipelines.demo.files import ExportFolder
from pipelines.demo.persons import assign_persons
from pipelines.demo.procapita import write_procapita
from pipelines.demo.register import write_insatser, write_stegmatning
from pipelines.demo.shared import swedish_holidays
from pipelines.demo.sus import episodes, sus_attributes, write_sus_anonyma, write_sus_deltagare
from pipelines.demo.world import build_world


def generate(
    out_dir: Path,
    seed: int = 42,
    scale: float = 1.0,
    end: dt.date = dt.date(2026, 10, 31),
) -> list[Path]:
    """Write synthetic exports of all ten source kinds into `out_dir`; return the paths written.

    Same seed + scale + end → byte-identical files. See the module docstring for what the
    data looks like and the form of each file.
    """
    if scale <= 0:
        raise ValueError("scale must be > 0")
    if end < DATA_START + dt.timedelta(days=180):
        raise ValueError(f"end must be on or after {DATA_START + dt.timedelta(days=180)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export_date = end + dt.timedelta(days=2)
    stamp = dt.datetime.combine(export_date, dt.time(7, 15, 0))
    d_tag = export_date.isoformat()
    # one random stream per part, so a change in one part leaves the others' files as they were
    streams = [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(12)]
    (r_world, r_ep, r_pers, r_attr, r_steg, r_anon, r_act, r_att, r_pay, r_money, r_form, _) = streams
    holidays = swedish_holidays(range(DATA_START.year, end.year + 1))
    out = ExportFolder(out_dir)
    split = scale > SPLIT_SCALE

    world = build_world(r_world, scale, end)
    chains, ep = episodes(r_ep, world, scale, end, holidays)
    persons, ep, reserved, n_nonins = assign_persons(r_pers, world, chains, ep)
    ep = sus_attributes(r_attr, ep, world)
    pnr12_ep = persons.pnr12.gather(ep["person"].to_numpy())

    write_insatser(out, world, d_tag)
    write_sus_deltagare(r_form, out, world, ep, persons, pnr12_ep, d_tag, stamp)
    write_sus_anonyma(r_anon, out, world, end, d_tag)
    write_stegmatning(r_steg, out, world, ep, pnr12_ep, d_tag)
    write_procapita(r_act, r_att, r_pay, out, world, ep, persons, reserved, n_nonins, end, holidays, split, d_tag)
    write_economy(r_money, out, world, end, split, d_tag)
    return out.paths
