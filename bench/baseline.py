"""Hand-written DuckDB baseline: the marts genomflode, resultat and ekonomi (all period types that
the pipeline produces for them) computed straight from the landing files, in one DuckDB process.

Covered marts: genomflode, resultat (manad, kvartal, halvar, ar, rullande_12) and ekonomi
(manad, kvartal, halvar, ar; rullande_12 is not an ekonomi period). Not covered: dim_*,
forsorjning, fordelning, enhetskostnad, samhallsekonomi, aktivitet, finansiering,
datakvalitet. So the baseline reads only the files those three marts need (insatser,
sus_deltagare, sus_anonyma, stegmatning, budget, ledger); it never opens the Pro Capita files
(attendance, activities, social assistance).

What it does NOT do that the pipeline does: no validation (types, code lists, personnummer
check digits, future dates), no quarantine, no pseudonymisation (the 12-digit personnummer is
the person key inside this one process), no file ledger, no intermediate tables, no tests, no
BI publish, no reports. It does apply the same rules that change numbers: the newest-file
replacement rules, Felregistrering, as_of clipping, the utfall mapping seed, the account-range
seed, code case-insensitivity, 10-digit personnummer centuries.

    .venv/bin/python bench/baseline.py --landing bench/data/1/landing --as-of 2026-10-31 \
        --out bench/data/1/baseline.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "dbt_project" / "seeds"
MARTS = ("genomflode", "resultat", "ekonomi")

# canonical column -> header in the exports (the demo writes the canonical headers)
COLUMNS = {
    "insatser": {
        "forbund": "Förbund", "insats_id": "Insats-ID", "startdatum": "Startdatum", "slutdatum": "Slutdatum",
        "arsplatser": "Årsplatser", "provotid_dagar": "Provotid dagar", "malutfall": "Målutfall",
    },
    "sus_deltagare": {
        "forbund": "Förbund", "insats_id": "Insats-ID", "personnummer": "Personnummer", "kon": "Kön",
        "startdatum": "Startdatum", "slutdatum": "Slutdatum", "avslutsanledning": "Avslutsanledning",
        "sysselsattning_efter": "Sysselsättning efter",
    },
    "sus_anonyma": {"ar": "År", "forbund": "Förbund", "insats_id": "Insats-ID", "kvinnor": "Kvinnor", "man": "Män"},
    "stegmatning": {
        "personnummer": "Personnummer", "insats_id": "Insats-ID", "startdatum": "Startdatum",
        "mattillfalle": "Mättillfälle", "steg": "Steg",
    },
    "budget": {"ar": "År", "forbund": "Förbund", "insats_id": "Insats-ID", "kostnadsslag": "Kostnadsslag", "belopp": "Belopp"},
    "ledger": {"forbund": "Förbund", "period": "Period", "projekt": "Projekt", "konto": "Konto", "belopp": "Belopp"},
}
_NAME_DATE = re.compile(r"_(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?!\d)")


def _kind_of(name: str) -> str | None:
    lower = name.lower()
    best = None
    for k in COLUMNS:
        if lower.startswith((k + "_", k + ".")) and (best is None or len(k) > len(best)):
            best = k
    # sus_deltagare must not swallow other sus kinds and vice versa: longest prefix wins
    return best


def _file_date(name: str) -> dt.date:
    stem = name.rsplit(".", 1)[0]
    for m in reversed(list(_NAME_DATE.finditer(stem))):
        try:
            return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
        except ValueError:
            continue
    return dt.date.min


def _csv_form(path: Path) -> tuple[str, str, int]:
    """(encoding for DuckDB, delimiter, header line index)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
    else:
        cut = head.rfind(b"\n")
        try:
            head[: cut if cut > 0 else len(head)].decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = head.decode("utf-8" if encoding == "utf-8" else "latin-1", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    delim = max((";", "\t", ","), key=first.count)
    return encoding, delim, 0


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def load_kind(con: duckdb.DuckDBPyConnection, kind: str, files: list[Path]) -> None:
    """raw_<kind>: the needed columns as text + _file, _file_date, _mtime."""
    cols = COLUMNS[kind]
    parts = []
    for i, f in enumerate(sorted(files)):
        fdate, mtime = _file_date(f.name), dt.datetime.fromtimestamp(f.stat().st_mtime)
        meta = f"{_sql_str(f.name)} as _file, date {_sql_str(fdate.isoformat())} as _file_date, timestamp {_sql_str(mtime.isoformat(sep=' '))} as _mtime"
        if f.suffix.lower() == ".xlsx":
            import fastexcel  # the one file form DuckDB cannot read without an extension

            sheet = fastexcel.read_excel(f).load_sheet(0, header_row=None, dtypes="string").to_arrow()
            rows = sheet.to_pylist()
            names = sheet.column_names
            header_at = next(i for i, r in enumerate(rows[:50]) if any((v or "").strip() == cols["forbund" if "forbund" in cols else "insats_id"] for v in r.values()))
            header = {(rows[header_at][n] or "").strip(): n for n in names}
            view = f"__xlsx_{kind}_{i}"
            import pyarrow as pa

            table = pa.table({c: sheet.column(header[h]).slice(header_at + 1) for c, h in cols.items() if h in header})
            con.register(view, table)
            sel = ", ".join(
                (f"left(trim({c}), 10) as {c}" if c in ("startdatum", "slutdatum") else c) if h in header else f"null::varchar as {c}"
                for c, h in cols.items()
            )
            parts.append(f"select {sel}, {meta} from {view}")
        else:
            encoding, delim, _ = _csv_form(f)
            src = (
                f"read_csv({_sql_str(str(f))}, delim={_sql_str(delim)}, header=true, all_varchar=true, "
                f"encoding={_sql_str(encoding)}, quote='\"', escape='\"', null_padding=true)"
            )
            head = [r[0] for r in con.execute(f"describe select * from {src}").fetchall()]
            head_map = {h.lstrip("\ufeff").strip(): h for h in head}
            sel = ", ".join(
                f'"{head_map[h]}" as {c}' if h in head_map else f"null::varchar as {c}" for c, h in cols.items()
            )
            parts.append(f"select {sel}, {meta} from {src}")
    if not parts:
        sel = ", ".join(f"null::varchar as {c}" for c in cols)
        parts.append(f"select {sel}, null::varchar as _file, null::date as _file_date, null::timestamp as _mtime where false")
    con.execute(f"create or replace temp table raw_{kind} as " + " union all by name ".join(parts))


def newest(kind: str, keys: list[str]) -> str:
    """Rows of the newest file per key value (file date from the name, then mtime, then name)."""
    part = f"partition by {', '.join(keys)}" if keys else ""
    return f"""(select * exclude (_rank) from (
        select *, dense_rank() over ({part} order by _file_date desc, _mtime desc, _file desc) as _rank
        from raw_{kind}) where _rank = 1)"""


SQL = r"""
-- helpers --------------------------------------------------------------------------------
create or replace temp macro d(x) as coalesce(
    try_strptime(left(trim(x), 10), '%Y-%m-%d')::date,
    try_strptime(trim(x), '%Y%m%d')::date);
create or replace temp macro num(x) as try_cast(
    replace(regexp_replace(replace(trim(x), '−', '-'), '[\s\x{00a0}\x{202f}]', '', 'g'), ',', '.') as double);
-- personnummer -> 12 digits (century of the 10-digit forms from the refresh day)
create or replace temp macro pnr12(p) as (
    with x as (select regexp_replace(trim(p), '[^0-9+]', '', 'g') as s)
    select case
        when length(replace(s, '+', '')) = 12 then replace(s, '+', '')
        when length(replace(s, '+', '')) = 10 then (
            (case
                when (2000 + substr(replace(s, '+', ''), 1, 2)::int) * 10000
                     + substr(replace(s, '+', ''), 3, 2)::int * 100
                     + (substr(replace(s, '+', ''), 5, 2)::int - case when substr(replace(s, '+', ''), 5, 2)::int > 60 then 60 else 0 end)
                     <= year(current_date) * 10000 + month(current_date) * 100 + day(current_date)
                then 20 else 19 end
             - case when contains(s, '+') then 1 else 0 end)::varchar || replace(s, '+', ''))
    end from x);
create or replace temp macro kon_pnr(p12) as case when substr(p12, 11, 1)::int % 2 = 1 then 'Man' else 'Kvinna' end;

-- inputs ---------------------------------------------------------------------------------
create or replace temp table ins as
select
    trim(forbund) as forbund, trim(insats_id) as insats_id,
    d(startdatum) as startdatum, d(nullif(trim(slutdatum), '')) as slutdatum,
    num(nullif(trim(arsplatser), '')) as arsplatser,
    coalesce(num(nullif(trim(provotid_dagar), ''))::integer, 90) as provotid_dagar,
    coalesce(
        nullif(list_filter(list_transform(string_split(coalesce(malutfall, ''), ','), lambda m: lower(trim(m))), lambda m: m <> ''), []),
        ['arbete', 'studier', 'arbetslivsinriktad_rehab']) as malutfall
from NEWEST_INSATSER;

create or replace temp table sus as
select
    trim(forbund) as forbund, trim(insats_id) as insats_id, pnr12(personnummer) as person,
    coalesce(case lower(trim(kon)) when 'kvinna' then 'Kvinna' when 'man' then 'Man' else nullif(trim(kon), '') end,
             kon_pnr(pnr12(personnummer))) as kon,
    d(startdatum) as s_reg, d(nullif(trim(slutdatum), '')) as t_reg,
    lower(trim(avslutsanledning)) as avslutsanledning,
    lower(trim(sysselsattning_efter)) as sysselsattning_efter
from NEWEST_SUS;

create or replace temp table felreg as select * from sus where avslutsanledning = 'felregistrering';

create or replace temp table anonyma as
select num(ar)::integer as ar, trim(forbund) as forbund, trim(insats_id) as insats_id,
       num(kvinnor)::bigint as kvinnor, num(man)::bigint as man
from NEWEST_ANONYMA;

create or replace temp table steg as
with s as (
    select pnr12(r.personnummer) as person, trim(r.insats_id) as insats_id, d(r.startdatum) as startdatum,
           lower(trim(r.mattillfalle)) as tillfalle,
           coalesce(try_cast(trim(r.steg) as integer), p.steg) as steg
    from NEWEST_STEG r
    left join processtrappa p on lower(p.namn) = lower(trim(r.steg))
)
select person, insats_id, startdatum,
       max(steg) filter (where tillfalle = 'start') as steg_start,
       max(steg) filter (where tillfalle = 'avslut') as steg_slut
from s group by all;

-- episodes at as_of ------------------------------------------------------------------------
create or replace temp table ep as
with e as (
    select sus.*, row_number() over () as id,
           case when t_reg <= AS_OF then t_reg end as t
    from sus
    where avslutsanledning is distinct from 'felregistrering' and s_reg <= AS_OF
),
ended as (
    select id, 'sysselsattning_efter' as falt, sysselsattning_efter as varde from e where t is not null
    union all
    select id, 'avslutsanledning', avslutsanledning from e where t is not null
),
kandidater as (
    select ended.id, m.utfall, m.prioritet, m.varde = '*' as stjarna, m.falt, m.varde
    from ended join utfallsmappning m on m.falt = ended.falt and m.varde <> '*' and m.varde = ended.varde
    union all
    select ended.id, m.utfall, m.prioritet, true, m.falt, m.varde
    from ended join utfallsmappning m on m.falt = ended.falt and m.varde = '*'
),
utfall as (
    select id, arg_min(utfall, (prioritet, stjarna, falt, varde)) as utfall from kandidater group by id
)
select
    e.forbund, e.insats_id, coalesce(e.kon, 'Okänt') as kon, e.s_reg as s, e.t,
    (e.t - e.s_reg) as dagar,
    e.t is not null and (e.t - e.s_reg) < ins.provotid_dagar as tidigt_avhopp,
    e.t is not null and (e.t - e.s_reg) >= ins.provotid_dagar as till_resultat,
    u.utfall,
    coalesce(e.t is not null and (e.t - e.s_reg) >= ins.provotid_dagar and list_contains(ins.malutfall, u.utfall), false) as i_mal,
    st.steg_start, st.steg_slut
from e
left join ins on ins.forbund = e.forbund and ins.insats_id = e.insats_id
left join utfall u on u.id = e.id
left join steg st on st.person = e.person and st.insats_id = e.insats_id and st.startdatum = e.s_reg;

-- periods --------------------------------------------------------------------------------------
create or replace temp table perioder as
with forsta as (
    select least(
        coalesce((select min(startdatum) from ins), AS_OF),
        coalesce((select min(s_reg) from sus where avslutsanledning is distinct from 'felregistrering'), AS_OF),
        coalesce((select min(s_reg) from felreg), AS_OF),
        coalesce((select make_date(min(ar), 1, 1) from anonyma), AS_OF),
        AS_OF) as f
),
m as (select unnest(generate_series(date_trunc('month', f)::date, date_trunc('month', AS_OF)::date, interval 1 month))::date as m from forsta),
p as (
    select 'manad' as typ, strftime(m, '%Y-%m') as id, m as p0, last_day(m) as p1 from m
    union select 'kvartal', strftime(m, '%Y') || '-Q' || quarter(m), date_trunc('quarter', m)::date, last_day(date_trunc('quarter', m)::date + interval 2 month)::date from m
    union select 'halvar', strftime(m, '%Y') || '-H' || (case when month(m) <= 6 then 1 else 2 end), make_date(year(m), case when month(m) <= 6 then 1 else 7 end, 1), last_day(make_date(year(m), case when month(m) <= 6 then 6 else 12 end, 1)) from m
    union select 'ar', strftime(m, '%Y'), make_date(year(m), 1, 1), make_date(year(m), 12, 31) from m
    union select 'rullande_12', strftime((m - interval 11 month)::date, '%Y-%m') || '--' || strftime(m, '%Y-%m'), (m - interval 11 month)::date, last_day(m) from m
)
select typ, id, p0, p1, least(p1, AS_OF) as p1a, (least(p1, AS_OF) - p0 + 1) as dagar from p;

-- episode x period sums (one pass for genomflode and resultat) -----------------------------------
create or replace temp table summor as
select
    ep.forbund, ep.insats_id, p.typ, p.id, ep.kon,
    count_if(ep.s < p.p0) as inskrivna_vid_periodstart,
    count_if(ep.s >= p.p0) as nyinskrivna,
    count_if(ep.s >= p.p0 and (ep.t is null or ep.t > p.p1a)) as nyinskrivna_pagaende_vid_periodslut,
    count_if(ep.t <= p.p1a) as avslutade,
    count_if(ep.t <= p.p1a and ep.tidigt_avhopp) as tidiga_avhopp,
    count_if(ep.t <= p.p1a and ep.till_resultat) as avslutade_till_resultat,
    count_if(ep.t is null or ep.t > p.p1a) as inskrivna_vid_periodslut,
    count(*) as aktiva,
    sum(least(coalesce(ep.t, p.p1a), p.p1a) - greatest(ep.s, p.p0) + 1) as deltagardagar,
    sum(case when ep.s >= p.p0 then least(coalesce(ep.t, p.p1a), p.p1a) - ep.s else 0 end) as summa_dagar_nyinskrivna,
    sum(case when ep.t <= p.p1a then ep.t - ep.s else 0 end) as summa_dagar_avslutade,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.utfall = 'arbete') as till_arbete,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.utfall = 'studier') as till_studier,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.utfall = 'arbetslivsinriktad_rehab') as till_arbetslivsinriktad_rehab,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.utfall = 'aktivt_arbetssokande') as till_aktivt_arbetssokande,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.utfall = 'sjukdom') as till_sjukdom,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.utfall = 'ovrigt') as till_ovrigt,
    count_if(ep.t <= p.p1a and ep.i_mal) as i_mal,
    sum(case when ep.t <= p.p1a and ep.i_mal then ep.dagar / 30.4375 else 0 end) as summa_manader_i_mal,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.steg_start is not null and ep.steg_slut is not null) as steg_matta,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.steg_slut > ep.steg_start) as steg_upp,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.steg_slut < ep.steg_start) as steg_ned
from ep
join perioder p on ep.s <= p.p1a and coalesce(ep.t, date '9999-12-31') >= p.p0
group by all;

-- rows: each insats x each period it ran or had anything to report x kon
create or replace temp table rader as
with ip as (
    select ins.forbund, ins.insats_id, p.typ, p.id from ins
    join perioder p on ins.startdatum <= p.p1a and coalesce(ins.slutdatum, date '9999-12-31') >= p.p0
    union select forbund, insats_id, typ, id from summor
    union select f.forbund, f.insats_id, p.typ, p.id from felreg f join perioder p on f.s_reg between p.p0 and p.p1a
    union select a.forbund, a.insats_id, p.typ, p.id from anonyma a join perioder p on p.typ = 'ar' and p.id = a.ar::varchar
)
select ip.*, k.kon, p.p0, p.p1, p.dagar, ins.arsplatser
from ip join perioder p using (typ, id)
left join ins on ins.forbund = ip.forbund and ins.insats_id = ip.insats_id
cross join (values ('Kvinna'), ('Man'), ('Okänt')) k(kon);

create or replace table genomflode as
with an as (
    select forbund, insats_id, ar::varchar as id, 'Kvinna' as kon, sum(kvinnor) as anonyma from anonyma group by all
    union all
    select forbund, insats_id, ar::varchar, 'Man', sum(man) from anonyma group by all
)
select
    r.forbund, r.insats_id, r.typ as period_typ, r.id as period_id, r.kon, r.p0 as period_start, r.p1 as period_slut,
    coalesce(s.inskrivna_vid_periodstart, 0)::bigint as inskrivna_vid_periodstart,
    coalesce(s.nyinskrivna, 0)::bigint as nyinskrivna,
    coalesce(s.nyinskrivna_pagaende_vid_periodslut, 0)::bigint as nyinskrivna_pagaende_vid_periodslut,
    coalesce(s.avslutade, 0)::bigint as avslutade,
    coalesce(s.tidiga_avhopp, 0)::bigint as tidiga_avhopp,
    coalesce(s.avslutade_till_resultat, 0)::bigint as avslutade_till_resultat,
    coalesce(s.inskrivna_vid_periodslut, 0)::bigint as inskrivna_vid_periodslut,
    coalesce(s.aktiva, 0)::bigint as aktiva,
    coalesce(s.deltagardagar, 0)::bigint as deltagardagar,
    (coalesce(s.deltagardagar, 0) / r.dagar)::double as arsplatser_nyttjade,
    (coalesce(s.deltagardagar, 0) / r.dagar / nullif(r.arsplatser, 0))::double as belaggningsgrad,
    coalesce(s.summa_dagar_nyinskrivna, 0)::bigint as summa_dagar_nyinskrivna,
    (s.summa_dagar_nyinskrivna / nullif(s.nyinskrivna, 0))::double as snittid_nyinskrivna_dagar,
    coalesce(s.summa_dagar_avslutade, 0)::bigint as summa_dagar_avslutade,
    (s.summa_dagar_avslutade / nullif(s.avslutade, 0))::double as snittid_avslutade_dagar,
    (case when r.typ = 'ar' then coalesce(an.anonyma, 0) else 0 end)::bigint as anonyma
from rader r
left join summor s on s.forbund = r.forbund and s.insats_id = r.insats_id and s.typ = r.typ and s.id = r.id and s.kon = r.kon
left join an on r.typ = 'ar' and an.forbund = r.forbund and an.insats_id = r.insats_id and an.id = r.id and an.kon = r.kon;

create or replace table resultat as
select
    r.forbund, r.insats_id, r.typ as period_typ, r.id as period_id, r.kon, r.p0 as period_start, r.p1 as period_slut,
    coalesce(s.avslutade_till_resultat, 0)::bigint as avslutade_till_resultat,
    coalesce(s.till_arbete, 0)::bigint as till_arbete,
    coalesce(s.till_studier, 0)::bigint as till_studier,
    coalesce(s.till_arbetslivsinriktad_rehab, 0)::bigint as till_arbetslivsinriktad_rehab,
    coalesce(s.till_aktivt_arbetssokande, 0)::bigint as till_aktivt_arbetssokande,
    coalesce(s.till_sjukdom, 0)::bigint as till_sjukdom,
    coalesce(s.till_ovrigt, 0)::bigint as till_ovrigt,
    coalesce(s.i_mal, 0)::bigint as i_mal,
    (s.i_mal / nullif(s.avslutade_till_resultat, 0))::double as andel_i_mal,
    coalesce(s.summa_manader_i_mal, 0)::double as summa_manader_i_mal,
    (s.summa_manader_i_mal / nullif(s.i_mal, 0))::double as genomstromningstid_man,
    coalesce(s.steg_matta, 0)::bigint as steg_matta,
    coalesce(s.steg_upp, 0)::bigint as steg_upp,
    coalesce(s.steg_ned, 0)::bigint as steg_ned,
    (s.steg_upp / nullif(s.steg_matta, 0))::double as andel_steg_upp
from rader r
left join summor s on s.forbund = r.forbund and s.insats_id = r.insats_id and s.typ = r.typ and s.id = r.id and s.kon = r.kon;

-- ekonomi --------------------------------------------------------------------------------------
create or replace temp table kostnadsslag as select kod as kostnadsslag, sortering from kodlistor where kodlista = 'kostnadsslag';

create or replace temp table budget as
select num(b.ar)::integer as ar, trim(b.forbund) as forbund, coalesce(nullif(trim(b.insats_id), ''), '(förbund)') as insats_id,
       coalesce(k.kostnadsslag, trim(b.kostnadsslag)) as kostnadsslag, sum(num(b.belopp)) as budget
from NEWEST_BUDGET b left join kostnadsslag k on lower(k.kostnadsslag) = lower(trim(b.kostnadsslag))
group by all;

create or replace temp table ledger as
select nullif(trim(forbund), '') as forbund, nullif(trim(projekt), '') as projekt,
       strptime(replace(trim(period), '-', '') || '01', '%Y%m%d')::date as manad,
       num(konto)::integer as konto, num(belopp) as belopp
from raw_ledger
qualify dense_rank() over (partition by manad order by _file_date desc, _mtime desc, _file desc) = 1;

create or replace temp table utfall_manad as
with konto as (
    select k.konto, arg_min(kp.kostnadsslag, (kp.prioritet, kp.konto_till - kp.konto_fran, kp.konto_fran)) as kostnadsslag,
           arg_min(kp.ar_kostnad, (kp.prioritet, kp.konto_till - kp.konto_fran, kp.konto_fran)) as ar_kostnad
    from (select distinct konto from ledger) k join kontoplan kp on k.konto between kp.konto_fran and kp.konto_till
    group by k.konto
),
reg as (select insats_id, min(forbund) as forbund from ins group by insats_id)
select coalesce(l.forbund, reg.forbund) as forbund, coalesce(l.projekt, '(förbund)') as insats_id, konto.kostnadsslag,
       l.manad, year(l.manad) as ar, sum(l.belopp) as utfall
from ledger l join konto on konto.konto = l.konto and konto.ar_kostnad
left join reg on reg.insats_id = l.projekt
where l.manad <= AS_OF
group by all;

create or replace table ekonomi as
with per as (select * from perioder where typ in ('manad', 'kvartal', 'halvar', 'ar')),
alla as (
    select distinct r.forbund, r.insats_id, r.typ, r.id, k.kostnadsslag from rader r cross join kostnadsslag k where r.typ <> 'rullande_12'
    union
    select pa.forbund, pa.insats_id, per.typ, per.id, k.kostnadsslag
    from (select forbund, insats_id, ar from budget union select forbund, insats_id, ar from utfall_manad) pa
    join per on year(per.p0) = pa.ar cross join kostnadsslag k
),
r as (
    select alla.*, per.p0, per.p1, year(per.p0) as ar, month(per.p1a) as manader from alla join per using (typ, id)
),
m as (
    select r.*,
        coalesce(b.budget, 0) as budget,
        coalesce((select sum(u.utfall) from utfall_manad u where u.forbund = r.forbund and u.insats_id = r.insats_id
                  and u.kostnadsslag = r.kostnadsslag and u.manad between r.p0 and r.p1), 0) as utfall_period,
        coalesce((select sum(u.utfall) from utfall_manad u where u.forbund = r.forbund and u.insats_id = r.insats_id
                  and u.kostnadsslag = r.kostnadsslag and u.ar = r.ar and u.manad <= r.p1), 0) as ackumulerat
    from r left join budget b on b.forbund = r.forbund and b.insats_id = r.insats_id and b.kostnadsslag = r.kostnadsslag and b.ar = r.ar
)
select
    m.forbund, m.insats_id, m.typ as period_typ, m.id as period_id, m.kostnadsslag, m.p0 as period_start, m.p1 as period_slut,
    m.ar::integer as ar, k.sortering::integer as kostnadsslag_sortering,
    m.budget::double as budget, m.manader::integer as manader_fran_januari,
    (m.budget * m.manader / 12.0)::double as periodiserad_budget,
    m.utfall_period::double as utfall_period, m.ackumulerat::double as ackumulerat,
    (m.budget - m.ackumulerat)::double as aterstar,
    (m.ackumulerat / nullif(m.budget, 0))::double as forbrukningsgrad,
    (m.ackumulerat - m.budget * m.manader / 12.0)::double as avvikelse_mot_periodiserad
from m left join kostnadsslag k on k.kostnadsslag = m.kostnadsslag;
"""


def run(landing: Path, as_of: dt.date, out: Path, threads: int | None = None) -> dict:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    for p in (out, out.with_name(out.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    if threads:
        con.execute(f"set threads = {threads}")
    for seed in ("kodlistor", "utfallsmappning", "kontoplan_kostnadsslag", "processtrappa"):
        con.execute(f"create or replace temp table {seed.replace('_kostnadsslag', '')} as select * from read_csv('{SEEDS / (seed + '.csv')}', header=true)")
    con.execute("update utfallsmappning set falt = lower(trim(falt)), varde = case when trim(varde) = '*' then '*' else lower(trim(varde)) end, utfall = lower(trim(utfall))")

    files: dict[str, list[Path]] = {k: [] for k in COLUMNS}
    for f in sorted(landing.iterdir()):
        if f.is_file() and f.suffix.lower() in (".csv", ".txt", ".xlsx") and not f.name.startswith((".", "~$")):
            kind = _kind_of(f.name)
            if kind:
                files[kind].append(f)
    for kind, fs in files.items():
        load_kind(con, kind, fs)
    timings["read"] = time.perf_counter() - t0

    sql = (
        SQL.replace("AS_OF", f"date '{as_of.isoformat()}'")
        .replace("NEWEST_INSATSER", newest("insatser", ["trim(forbund)"]))
        .replace("NEWEST_SUS", newest("sus_deltagare", ["trim(forbund)", "trim(insats_id)"]))
        .replace("NEWEST_ANONYMA", newest("sus_anonyma", ["ar", "trim(forbund)"]))
        .replace("NEWEST_STEG", newest("stegmatning", ["trim(insats_id)"]))
        .replace("NEWEST_BUDGET", newest("budget", ["ar", "trim(forbund)"]))
    )
    t1 = time.perf_counter()
    con.execute(sql)
    con.execute("checkpoint")
    timings["compute"] = time.perf_counter() - t1
    rows = {m: con.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS}
    con.close()
    timings["total"] = time.perf_counter() - t0
    return {"marts": list(MARTS), "rows": rows, "timings_s": timings, "files": {k: len(v) for k, v in files.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--out", type=Path, required=True, help="DuckDB file for the baseline marts")
    ap.add_argument("--threads", type=int)
    args = ap.parse_args(argv)
    result = run(args.landing, dt.date.fromisoformat(args.as_of), args.out, args.threads)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
