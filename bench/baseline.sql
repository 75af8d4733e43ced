-- helpers --------------------------------------------------------------------------------------
-- dates: ÅÅÅÅ-MM-DD (also with a time, as xlsx cells come), ÅÅÅÅMMDD or an Excel serial day number;
-- the plain cast first (the fast path: coalesce evaluates the others only where it fails)
create or replace temp macro d(x) as coalesce(
    try_cast(x as date), try_cast(left(trim(x), 10) as date), try_strptime(trim(x), '%Y%m%d')::date,
    case when regexp_full_match(trim(x), '\d{5}([.,]\d+)?')
         then date '1899-12-30' + floor(try_cast(replace(trim(x), ',', '.') as double))::integer end);
-- numbers: decimal comma, space / no-break space thousands, Unicode minus (the cheap case first)
create or replace temp macro num(x) as coalesce(try_cast(replace(x, ',', '.') as double), try_cast(replace(replace(replace(
    replace(replace(trim(x), ' ', ''), chr(160), ''), chr(8239), ''), '−', '-'), ',', '.') as double));
create or replace temp macro manad(x) as date_trunc('month', x)::date;
-- personnummer -> the 12 digits as BIGINT, the person key. Samordningsnummer keep their day + 60
-- (as ingest hashes them); the 10-digit forms get the century that makes the person under 100
-- on the refresh day (another 100 years with `+`).
create or replace temp macro pnr_siffror(p) as replace(replace(trim(p), '-', ''), '+', '');
create or replace temp macro pnr_sekel(s10, plus) as
    (case when (2000 + s10 // 100000000) * 10000 + (s10 // 1000000) % 100 * 100
               + (s10 // 10000) % 100 - case when (s10 // 10000) % 100 > 60 then 60 else 0 end <= REFRESH_DAY
          then 20 else 19 end) - case when plus then 1 else 0 end;
create or replace temp macro pnr12(p) as case length(pnr_siffror(p))
    when 12 then try_cast(pnr_siffror(p) as bigint)
    when 10 then pnr_sekel(try_cast(pnr_siffror(p) as bigint), contains(p, '+')) * 10000000000 + try_cast(pnr_siffror(p) as bigint)
end;
create or replace temp macro kon_pnr(p) as case when (p // 10) % 2 = 1 then 'Man' else 'Kvinna' end;
create or replace temp macro fodd_pnr(p) as make_date((p // 100000000)::int, ((p // 1000000) % 100)::int,
    ((p // 10000) % 100 - case when (p // 10000) % 100 > 60 then 60 else 0 end)::int);
-- SUS' band labels: `<start> - <start + width - 1>`
create or replace temp macro band(start, bredd) as start::varchar || ' - ' || (start + bredd - 1)::varchar;

-- inputs: the newest file's rows per replacement key, typed -------------------------------------
create or replace temp table ins as
select trim(forbund) as forbund, trim(insats_id) as insats_id, nullif(trim(insatsnamn), '') as insatsnamn,
       d(startdatum) as startdatum, d(nullif(trim(slutdatum), '')) as slutdatum,
       num(nullif(trim(arsplatser), '')) as arsplatser,
       coalesce(num(nullif(trim(provotid_dagar), ''))::integer, 90) as provotid_dagar,
       -- goal set: the register's codes, default arbete, studier, arbetslivsinriktad_rehab
       case when len(kodlista_utfall(malutfall)) = 0 then ['arbete', 'studier', 'arbetslivsinriktad_rehab']
            else kodlista_utfall(malutfall) end as malutfall
from NEWEST_INSATSER
where nullif(trim(insats_id), '') is not null;

-- every SUS episode of the newest file per (förbund, insats), Felregistrering included
-- a table, not a materialized CTE: DuckDB can spill a table to disk, a CTE it must hold (1x OOM)
create or replace temp table sus_rader as
select * from NEWEST_SUS
where nullif(trim(personnummer), '') is not null;  -- an xlsx total row (Slutsumma) is no episode

create or replace temp table sus as
with r as (
    select * from sus_rader
),
-- Försörjning före / efter: normalised once per distinct text (few), not per row
listor as (
    select txt, kodlista_forsorjning(txt) as lista
    from (select coalesce(forsorjning_fore, '') as txt from r union select coalesce(forsorjning_efter, '') from r)
)
select
    trim(r.forbund) as forbund, trim(r.insats_id) as insats_id, pnr12(r.personnummer) as person,
    coalesce(kod_kon(r.kon), kon_pnr(pnr12(r.personnummer))) as kon,
    d(r.startdatum) as startdatum, d(nullif(trim(r.slutdatum), '')) as slutdatum,
    kod_avslutsanledning(r.avslutsanledning) as avslutsanledning,
    kod_sysselsattning_efter(r.sysselsattning_efter) as sysselsattning_efter,
    fore.lista as forsorjning_fore,
    efter.lista as forsorjning_efter,
    kod_tid_i_offentlig_forsorjning(r.tid_i_offentlig_forsorjning) as tid_i_offentlig_forsorjning,
    kod_utbildningsniva(r.utbildningsniva) as utbildningsniva,
    kod_remittent(r.remittent) as remittent
from r
join listor fore on fore.txt = coalesce(r.forsorjning_fore, '')
join listor efter on efter.txt = coalesce(r.forsorjning_efter, '');

-- Felregistrering: exists for no measure, only for datakvalitet
create or replace temp table felreg as select * from sus where avslutsanledning = 'Felregistrering';

create or replace temp table anonyma as
select num(ar)::integer as ar, trim(forbund) as forbund, trim(insats_id) as insats_id,
       num(kvinnor)::bigint as kvinnor, num(man)::bigint as man
from NEWEST_ANONYMA
where nullif(trim(insats_id), '') is not null;

-- a small integer key per (förbund, insats) for the big participant joins
create or replace temp table nyckel as
select row_number() over (order by forbund, insats_id)::integer as ik, forbund, insats_id
from (select forbund, insats_id from ins union select forbund, insats_id from sus union select forbund, insats_id from anonyma);

-- processtrappa: step at start and at end per episode (person + insats + start date)
create or replace temp table steg as
with s as (
    select pnr12(r.personnummer) as person, trim(r.insats_id) as insats_id, d(r.startdatum) as startdatum,
           kod_mattillfalle(r.mattillfalle) as tillfalle,
           coalesce(try_cast(trim(r.steg) as integer), p.steg) as steg
    from NEWEST_STEG r
    left join processtrappa p on lower(p.namn) = lower(trim(r.steg))
)
select person, insats_id, startdatum,
       max(steg) filter (where tillfalle = 'Start') as steg_start,
       max(steg) filter (where tillfalle = 'Avslut') as steg_slut
from s group by all;

-- budget: an empty Insats-ID is the förbund's own administration
create or replace temp table budget as
select num(ar)::integer as ar, trim(forbund) as forbund, coalesce(nullif(trim(insats_id), ''), '(förbund)') as insats_id,
       kod_kostnadsslag(kostnadsslag) as kostnadsslag, sum(num(belopp)) as budget
from NEWEST_BUDGET
where nullif(trim(ar), '') is not null
group by all;

create or replace temp table fin as
select num(ar)::integer as ar, trim(forbund) as forbund, trim(finansiar) as finansiar, num(belopp) as belopp
from NEWEST_FINANSIERING
where nullif(trim(ar), '') is not null;

-- ledger: additive by month (a newer file that contains a month replaces that month)
create or replace temp table ledger_rader as
select nullif(trim(forbund), '') as forbund, nullif(trim(projekt), '') as projekt,
       try_strptime(replace(trim(period), '-', '') || '01', '%Y%m%d')::date as manad,
       num(konto)::integer as konto, num(belopp) as belopp, _fil
from raw_ledger
where nullif(trim(period), '') is not null;

-- Pro Capita activities: the newest export replaces older ones whole
create or replace temp table akt_rader as
select pnr12(personnummer) as person, trim(aktivitet) as aktivitet, nullif(trim(insats_id), '') as insats_id,
       d(startdatum) as startdatum, d(nullif(trim(slutdatum), '')) as slutdatum, kod_aktivitetsstatus(status) as status
from NEWEST_AKTIVITETER
where nullif(trim(personnummer), '') is not null;

-- episodes as they stand at as_of ----------------------------------------------------------------
-- An episode that starts after as_of does not exist; an end after as_of has not happened yet
-- (ongoing, end fields unknown).
create or replace temp table ep as
with e as (
    select sus.*, row_number() over () as id,
           case when slutdatum <= AS_OF then slutdatum end as t
    from sus
    where avslutsanledning is distinct from 'Felregistrering' and startdatum <= AS_OF
),
-- utfall from the mapping seed: lowest prioritet wins, an exact value beats `*` (any value, also empty)
ended as (
    select id, 'sysselsattning_efter' as falt, lower(sysselsattning_efter) as varde from e where t is not null
    union all
    select id, 'avslutsanledning', lower(avslutsanledning) from e where t is not null
),
kandidater as (
    select ended.id, m.utfall, m.prioritet, false as stjarna, m.falt, m.varde
    from ended join utfallsmappning m on m.falt = ended.falt and m.varde <> '*' and m.varde = ended.varde
    union all
    select ended.id, m.utfall, m.prioritet, true, m.falt, m.varde
    from ended join utfallsmappning m on m.falt = ended.falt and m.varde = '*'
),
utfall as (
    select id, arg_min(utfall, (prioritet, stjarna, falt, varde)) as utfall from kandidater group by id
),
f as (
    select e.*, ins.provotid_dagar, ins.malutfall, u.utfall, st.steg_start, st.steg_slut,
           e.t - e.startdatum as dagar, fodd_pnr(e.person) as fodd,
           -- age at start in full years (a 29 February birthday is reached on 1 March)
           year(e.startdatum) - year(fodd_pnr(e.person))
             - case when month(e.startdatum) * 100 + day(e.startdatum)
                         < month(fodd_pnr(e.person)) * 100 + day(fodd_pnr(e.person)) then 1 else 0 end as alder
    from e
    left join ins on ins.forbund = e.forbund and ins.insats_id = e.insats_id
    left join utfall u on u.id = e.id
    left join steg st on st.person = e.person and st.insats_id = e.insats_id and st.startdatum = e.startdatum
),
g as (
    select f.*,
        -- trial period: ended with t - s < provotid is an early dropout, the rest count to result
        coalesce(t is not null and dagar < provotid_dagar, false) as tidigt_avhopp,
        coalesce(t is not null and dagar >= provotid_dagar, false) as till_resultat,
        (15 + 15 * floor((alder - 15) / 15))::integer as alder_band,
        case when t is not null then greatest(1, ceil(dagar / 30.4375))::integer end as manader_i_insats
    from f
)
select
    id, ik, forbund, insats_id, person, coalesce(kon, 'Okänt') as kon, startdatum as s, t, dagar,
    tidigt_avhopp, till_resultat, utfall,
    coalesce(till_resultat and list_contains(list_transform(malutfall, lambda m: lower(trim(m))), utfall), false) as i_mal,
    steg_start, steg_slut,
    -- background of the distributions (SUS' categories, code-list spelling)
    band(alder_band, 15) as aldersgrupp, alder_band,
    utbildningsniva, tid_i_offentlig_forsorjning, remittent, forsorjning_fore,
    -- the end, known only when the episode has ended by as_of
    case when t is not null then avslutsanledning end as avslutsanledning,
    case when t is not null then forsorjning_efter end as forsorjning_efter,
    band((1 + 5 * floor((manader_i_insats - 1) / 5))::integer, 5) as tid_i_insats,
    (1 + 5 * floor((manader_i_insats - 1) / 5))::integer as tid_band
from g join nyckel using (forbund, insats_id);

-- periods ----------------------------------------------------------------------------------------
-- manad, kvartal, halvar, ar and rullande_12 from the month of the first thing that happened (insats
-- start, episode start, felregistrering, anonymous count) to as_of
create or replace temp table perioder as
with forsta as (
    select least(
        coalesce((select min(startdatum) from ins), AS_OF),
        coalesce((select min(startdatum) from sus where avslutsanledning is distinct from 'Felregistrering'), AS_OF),
        coalesce((select min(startdatum) from felreg), AS_OF),
        coalesce((select make_date(min(ar), 1, 1) from anonyma), AS_OF),
        AS_OF) as f
),
m as (select unnest(generate_series(manad(f), manad(AS_OF), interval 1 month))::date as m from forsta),
p as (
    select 'manad' as typ, strftime(m, '%Y-%m') as id, m as p0, last_day(m) as p1 from m
    union select 'kvartal', strftime(m, '%Y') || '-Q' || quarter(m), date_trunc('quarter', m)::date,
        last_day(date_trunc('quarter', m)::date + interval 2 month)::date from m
    union select 'halvar', strftime(m, '%Y') || '-H' || (case when month(m) <= 6 then 1 else 2 end),
        make_date(year(m), case when month(m) <= 6 then 1 else 7 end, 1),
        last_day(make_date(year(m), case when month(m) <= 6 then 6 else 12 end, 1)) from m
    union select 'ar', strftime(m, '%Y'), make_date(year(m), 1, 1), make_date(year(m), 12, 31) from m
    union select 'rullande_12', strftime((m - interval 11 month)::date, '%Y-%m') || '--' || strftime(m, '%Y-%m'),
        (m - interval 11 month)::date, last_day(m) from m
)
-- p1a: the period's last day that exists at as_of; pk: a small integer key
select row_number() over (order by typ, p0, id)::integer as pk, typ, id, p0, p1,
       least(p1, AS_OF) as p1a, (least(p1, AS_OF) - p0 + 1) as dagar
from p;

-- every month up to as_of -> the periods that contain it. Periods are whole months (clipped at
-- as_of), so whatever happened on a day <= as_of is in a period exactly when its month is: month
-- sums roll up to periods with an equi-join. Months before the earliest period are in none.
create or replace temp table manad_period as
select m.manad, p.pk, p.typ, p.id
from (select unnest(generate_series(m0, manad(AS_OF), interval 1 month))::date as manad from (select min(p0) as m0 from perioder)) m
join perioder p on m.manad between p.p0 and p.p1;

create or replace table dim_period as
select typ as period_typ, id as period_id, p0 as period_start, p1 as period_slut, p1a as period_slut_as_of,
       dagar::integer as dagar_i_period, p1 <= AS_OF as is_complete, AS_OF as as_of
from perioder;

create or replace table dim_insats as
select forbund, insats_id, insatsnamn, startdatum, slutdatum, arsplatser::double as arsplatser,
       provotid_dagar::integer as provotid_dagar, malutfall
from ins where startdatum <= AS_OF;

-- genomflode and resultat: one pass over episode x period (aktiv: s <= p1 and (t null or t >= p0)) ---
create or replace temp table summor as
select
    ep.ik, p.pk, ep.kon,
    count_if(ep.s < p.p0) as inskrivna_vid_periodstart,
    count_if(ep.s >= p.p0) as nyinskrivna,
    count_if(ep.s >= p.p0 and (ep.t is null or ep.t > p.p1a)) as nyinskrivna_pagaende_vid_periodslut,
    count_if(ep.t <= p.p1a) as avslutade,
    count_if(ep.t <= p.p1a and ep.tidigt_avhopp) as tidiga_avhopp,
    count_if(ep.t <= p.p1a and ep.till_resultat) as avslutade_till_resultat,
    count_if(ep.t is null or ep.t > p.p1a) as inskrivna_vid_periodslut,
    count(*) as aktiva,
    -- days enrolled inside the period, both ends counted
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
    sum(case when ep.t <= p.p1a and ep.i_mal then ep.dagar else 0 end) as summa_dagar_i_mal,
    sum(case when ep.t <= p.p1a and ep.i_mal then ep.dagar / 30.4375 else 0 end) as summa_manader_i_mal,
    -- stegförflyttning over avslutade till resultat with a step at start and at end
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.steg_start is not null and ep.steg_slut is not null) as steg_matta,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.steg_slut > ep.steg_start) as steg_upp,
    count_if(ep.t <= p.p1a and ep.till_resultat and ep.steg_slut < ep.steg_start) as steg_ned
from ep
join perioder p on ep.s <= p.p1a and coalesce(ep.t, date '9999-12-31') >= p.p0
group by all;

-- the rows of every participant mart: each insats x each period it ran (registered start <= p1 and
-- no registered end before p0) or had anything to report (an aktiv episode, a felregistrering, an
-- anonymous count) x kon
create or replace temp table rader as
with ip as (
    select nk.ik, p.pk from ins join nyckel nk using (forbund, insats_id)
    join perioder p on ins.startdatum <= p.p1a and coalesce(ins.slutdatum, date '9999-12-31') >= p.p0
    union select ik, pk from summor
    union select nk.ik, p.pk from felreg f join nyckel nk using (forbund, insats_id)
    join perioder p on f.startdatum between p.p0 and p.p1a
    union select nk.ik, p.pk from anonyma a join nyckel nk using (forbund, insats_id)
    join perioder p on p.typ = 'ar' and p.id = a.ar::varchar
)
select ip.ik, ip.pk, nk.forbund, nk.insats_id, p.typ, p.id, k.kon, p.p0, p.p1, p.dagar, ins.arsplatser
from ip join nyckel nk using (ik) join perioder p using (pk)
left join ins on ins.forbund = nk.forbund and ins.insats_id = nk.insats_id
cross join (values ('Kvinna'), ('Man'), ('Okänt')) k(kon);

create or replace table genomflode as
with an as (  -- anonymous participants: a yearly count per sex, only on `ar` rows
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
left join summor s on s.ik = r.ik and s.pk = r.pk and s.kon = r.kon
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
    coalesce(s.summa_dagar_i_mal, 0)::bigint as summa_dagar_i_mal,
    coalesce(s.summa_manader_i_mal, 0)::double as summa_manader_i_mal,
    (s.summa_manader_i_mal / nullif(s.i_mal, 0))::double as genomstromningstid_man,
    coalesce(s.steg_matta, 0)::bigint as steg_matta,
    coalesce(s.steg_upp, 0)::bigint as steg_upp,
    coalesce(s.steg_ned, 0)::bigint as steg_ned,
    (s.steg_upp / nullif(s.steg_matta, 0))::double as andel_steg_upp
from rader r
left join summor s on s.ik = r.ik and s.pk = r.pk and s.kon = r.kon;

-- categories per episode, counted per month ------------------------------------------------------
-- populations: nyinskrivna (month of s) for the background, avslutade (month of t) for end reason
-- and income before/after, avslutade till resultat (month of t) for tid i insats. A category is the
-- code in the code list's spelling; empty = `Uppgift saknas`; an episode with two income sources
-- counts under both.
create or replace temp table kategori_manad as
with v as (
    select ik, kon, manad(s) as manad, 'nyinskrivna' as population, 'aldersgrupp' as dimension,
           aldersgrupp as kategori, alder_band as sortering from ep
    union all
    select ik, kon, manad(s), 'nyinskrivna', 'utbildningsniva', utbildningsniva, sort_utbildningsniva(utbildningsniva) from ep
    union all
    select ik, kon, manad(s), 'nyinskrivna', 'tid_i_offentlig_forsorjning', tid_i_offentlig_forsorjning,
           sort_tid_i_offentlig_forsorjning(tid_i_offentlig_forsorjning) from ep
    union all
    select ik, kon, manad(s), 'nyinskrivna', 'remittent', remittent, sort_remittent(remittent) from ep
    union all
    select ik, kon, manad(s), 'nyinskrivna', 'forsorjning_fore', k, sort_forsorjning(k)
    from (select *, unnest(case when len(forsorjning_fore) = 0 then [null::varchar] else forsorjning_fore end) as k from ep)
    union all
    select ik, kon, manad(t), 'avslutade', 'forsorjning_fore', k, sort_forsorjning(k)
    from (select *, unnest(case when len(forsorjning_fore) = 0 then [null::varchar] else forsorjning_fore end) as k from ep where t is not null)
    union all
    select ik, kon, manad(t), 'avslutade', 'forsorjning_efter', k, sort_forsorjning(k)
    from (select *, unnest(case when len(forsorjning_efter) = 0 then [null::varchar] else forsorjning_efter end) as k from ep where t is not null)
    union all
    select ik, kon, manad(t), 'avslutade', 'avslutsanledning', avslutsanledning, sort_avslutsanledning(avslutsanledning)
    from ep where t is not null
    union all
    select ik, kon, manad(t), 'avslutade_till_resultat', 'tid_i_insats', tid_i_insats, tid_band
    from ep where till_resultat
)
select ik, kon, manad, population, dimension,
       coalesce(kategori, 'Uppgift saknas') as kategori,
       case when kategori is null then 9999 else coalesce(sortering, 9998) end as sortering,
       count(*) as antal
from v group by all;

-- every category a distribution shows (no holes): the code lists (Felregistrering is no end reason
-- of an existing episode), `Uppgift saknas` for försörjning, age bands 15 - 29 ... 60 - 74, time in
-- insats bands 1 - 5 up to the longest ended episode, and any category seen in the data
create or replace temp table kategorier as
with dim as (
    select * from (values
        ('utbildningsniva', 'utbildningsniva'), ('tid_i_offentlig_forsorjning', 'tid_i_offentlig_forsorjning'),
        ('remittent', 'remittent'), ('forsorjning_fore', 'forsorjning'), ('forsorjning_efter', 'forsorjning'),
        ('avslutsanledning', 'avslutsanledning')) t(dimension, kodlista)
),
alla as (
    select dim.dimension, k.kod as kategori, k.sortering
    from dim join kodlistor k on k.kodlista = dim.kodlista
    where not (dim.dimension = 'avslutsanledning' and k.kod = 'Felregistrering')
    union all
    select dimension, 'Uppgift saknas', 9999 from dim where kodlista = 'forsorjning'
    union all
    select 'aldersgrupp', band(b, 15), b from (select unnest(range(15, 75, 15))::integer as b)
    union all
    select 'tid_i_insats', band(b, 5), b
    from (select unnest(range(1, mx + 1, 5))::integer as b from (select coalesce(max(tid_band), 1) as mx from ep where t is not null))
    union all
    select distinct dimension, kategori, sortering from kategori_manad
)
select row_number() over (order by dimension, sortering, kategori)::integer as kk, *
from (select dimension, kategori, min(sortering)::integer as sortering from alla group by all);

create or replace table dim_kategori as
with pop as (
    select * from (values
        ('aldersgrupp', 'nyinskrivna'), ('utbildningsniva', 'nyinskrivna'), ('tid_i_offentlig_forsorjning', 'nyinskrivna'),
        ('forsorjning_fore', 'nyinskrivna'), ('remittent', 'nyinskrivna'),
        ('tid_i_insats', 'avslutade_till_resultat'), ('avslutsanledning', 'avslutade')) t(dimension, population)
)
select kat.kk, kat.dimension, kat.kategori, kat.sortering, pop.population
from kategorier kat
join pop using (dimension);

-- fordelning: sparse, only the categories someone has
create or replace table fordelning as
with s as (  -- month counts rolled up to the periods, on integer keys
    select k.ik, mp.pk, k.kon, kat.kk, sum(k.antal) as antal
    from kategori_manad k
    join dim_kategori kat using (dimension, kategori, population)
    join manad_period mp on mp.manad = k.manad
    group by all
)
select r.forbund, r.insats_id, r.typ as period_typ, r.id as period_id, kat.dimension, kat.kategori, r.kon,
       r.p0 as period_start, r.p1 as period_slut, kat.population, kat.sortering,
       s.antal::bigint as antal
from s
join rader r on s.ik = r.ik and s.pk = r.pk and s.kon = r.kon
join dim_kategori kat on s.kk = kat.kk;
alter table dim_kategori drop column kk;

-- forsorjning: income sources before and after over the avslutade of the period
create or replace table forsorjning as
with kallor as (
    select row_number() over (order by forsorjningskalla)::integer as fk, *
    from (select kategori as forsorjningskalla, min(sortering) as sortering
          from kategorier where dimension in ('forsorjning_fore', 'forsorjning_efter') group by all)
),
s as (
    select k.ik, mp.pk, k.kon, kallor.fk,
           sum(k.antal) filter (where k.dimension = 'forsorjning_fore') as antal_fore,
           sum(k.antal) filter (where k.dimension = 'forsorjning_efter') as antal_efter
    from kategori_manad k
    join kallor on kallor.forsorjningskalla = k.kategori
    join manad_period mp on mp.manad = k.manad
    where k.population = 'avslutade' and k.dimension in ('forsorjning_fore', 'forsorjning_efter')
    group by all
)
select r.forbund, r.insats_id, r.typ as period_typ, r.id as period_id, kallor.forsorjningskalla, r.kon,
       r.p0 as period_start, r.p1 as period_slut, kallor.sortering::integer as sortering,
       coalesce(s.antal_fore, 0)::bigint as antal_fore,
       coalesce(s.antal_efter, 0)::bigint as antal_efter,
       (coalesce(s.antal_efter, 0) - coalesce(s.antal_fore, 0))::bigint as forandring,
       (100.0 * (coalesce(s.antal_efter, 0) - s.antal_fore) / nullif(s.antal_fore, 0))::double as forandring_pct
from rader r
cross join kallor
left join s on s.ik = r.ik and s.pk = r.pk and s.kon = r.kon and s.fk = kallor.fk;

-- datakvalitet: Felregistrering episodes by start date, per insats and period ------------------------
create or replace table datakvalitet as
with s as (
    select f.forbund, f.insats_id, mp.typ, mp.id, count(*) as n
    from felreg f join manad_period mp on mp.manad = manad(f.startdatum)
    where f.startdatum <= AS_OF
    group by all
)
select r.forbund, r.insats_id, r.typ as period_typ, r.id as period_id, r.p0 as period_start, r.p1 as period_slut,
       coalesce(s.n, 0)::bigint as felregistreringar
from (select distinct forbund, insats_id, typ, id, p0, p1 from rader) r
left join s on s.forbund = r.forbund and s.insats_id = r.insats_id and s.typ = r.typ and s.id = r.id;

-- ekonomi ----------------------------------------------------------------------------------------
create or replace temp table kostnadsslag as select kod as kostnadsslag, sortering from kodlistor where kodlista = 'kostnadsslag';

-- booked cost per förbund, insats, kostnadsslag and month: a ledger row is a cost when its konto's
-- range (lowest prioritet, then the narrowest) is a cost; its förbund is the one that registered its
-- Projekt unless the row names one; an empty Projekt is the förbund's own administration
create or replace temp table utfall_manad as
with ledger as (select * from NEWEST_LEDGER),
konto as (
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

create or replace temp table utfall_period as
select u.forbund, u.insats_id, u.kostnadsslag, mp.typ, mp.id, sum(u.utfall) as utfall_period
from utfall_manad u join manad_period mp on mp.manad = u.manad
group by all;

-- rows: every insats x period of the participant marts, plus every (förbund, insats) with a budget or
-- a booking in a year x every period of that year, x every kostnadsslag; not rullande_12 (two budget years)
create or replace table ekonomi as
with per as (select *, year(p0) as ar, month(p1a) as manader from perioder where typ <> 'rullande_12'),
alla as (
    select distinct r.forbund, r.insats_id, r.typ, r.id, k.kostnadsslag from rader r cross join kostnadsslag k where r.typ <> 'rullande_12'
    union
    select pa.forbund, pa.insats_id, per.typ, per.id, k.kostnadsslag
    from (select forbund, insats_id, ar from budget union select forbund, insats_id, ar from utfall_manad) pa
    join per on per.ar = pa.ar cross join kostnadsslag k
),
r as (select alla.*, per.p0, per.p1, per.ar, per.manader from alla join per using (typ, id)),
-- ackumulerat: cost booked from 1 January to p1 (at most 12 months per row)
ack as (
    select r.forbund, r.insats_id, r.typ, r.id, r.kostnadsslag, sum(u.utfall) as ackumulerat
    from r join utfall_manad u on u.forbund = r.forbund and u.insats_id = r.insats_id and u.kostnadsslag = r.kostnadsslag
        and u.ar = r.ar and u.manad <= r.p1
    group by all
),
m as (
    select r.*, coalesce(b.budget, 0) as budget, coalesce(up.utfall_period, 0) as utfall_period, coalesce(ack.ackumulerat, 0) as ackumulerat
    from r
    left join budget b on b.forbund = r.forbund and b.insats_id = r.insats_id and b.kostnadsslag = r.kostnadsslag and b.ar = r.ar
    left join utfall_period up on up.forbund = r.forbund and up.insats_id = r.insats_id and up.kostnadsslag = r.kostnadsslag
        and up.typ = r.typ and up.id = r.id
    left join ack on ack.forbund = r.forbund and ack.insats_id = r.insats_id and ack.kostnadsslag = r.kostnadsslag
        and ack.typ = r.typ and ack.id = r.id
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

-- money per insats and period (enhetskostnad, samhallsekonomi): every insats x period of the
-- participant marts plus every förbund x insats x period with booked cost (all period types), with
-- the period's cost over all kostnadsslag
create or replace temp table pengar_rader as
with rr as (
    select distinct forbund, insats_id, typ, id from rader
    union
    select distinct forbund, insats_id, typ, id from utfall_period
),
u as (select forbund, insats_id, typ, id, sum(utfall_period) as utfall_period from utfall_period group by all)
select rr.forbund, rr.insats_id, rr.typ, rr.id, p.p0, p.p1, p.dagar, coalesce(u.utfall_period, 0) as utfall_period
from rr join perioder p using (typ, id)
left join u on u.forbund = rr.forbund and u.insats_id = rr.insats_id and u.typ = rr.typ and u.id = rr.id;

-- enhetskostnad ----------------------------------------------------------------------------------
create or replace table enhetskostnad as
with platser as (
    select ik, pk, sum(aktiva) as aktiva, sum(deltagardagar) as deltagardagar, sum(i_mal) as i_mal from summor group by all
),
-- distinct persons aktiva = aktiva episodes minus the extra episodes of a person with more than one
-- aktiv episode in the insats and period; only persons with several episodes in an insats can
-- have such, so only their episodes meet the periods again
flera as (
    select ep.ik, ep.person, ep.s, ep.t
    from ep semi join (select ik, person from ep group by all having count(*) > 1) d using (ik, person)
),
extra as (
    select f.ik, p.pk, count(*) - count(distinct f.person) as extra
    from flera f join perioder p on f.s <= p.p1a and coalesce(f.t, date '9999-12-31') >= p.p0
    group by all
),
per_insats as (
    select nk.forbund, nk.insats_id, p.typ, p.id, pl.aktiva - coalesce(x.extra, 0) as aktiva_personer,
           pl.deltagardagar, pl.i_mal
    from platser pl left join extra x using (ik, pk) join nyckel nk using (ik) join perioder p using (pk)
),
m as (
    select pr.*, coalesce(pi.aktiva_personer, 0) as aktiva_personer, coalesce(pi.deltagardagar, 0) as deltagardagar,
           coalesce(pi.deltagardagar, 0) / pr.dagar as arsplatser_nyttjade, coalesce(pi.i_mal, 0) as i_mal
    from pengar_rader pr
    left join per_insats pi on pi.forbund = pr.forbund and pi.insats_id = pr.insats_id and pi.typ = pr.typ and pi.id = pr.id
)
select forbund, insats_id, typ as period_typ, id as period_id, p0 as period_start, p1 as period_slut,
       dagar::integer as dagar_i_period, utfall_period::double as utfall_period,
       aktiva_personer::bigint as aktiva_personer, (utfall_period / nullif(aktiva_personer, 0))::double as kostnad_per_deltagare,
       deltagardagar::bigint as deltagardagar, arsplatser_nyttjade::double as arsplatser_nyttjade,
       -- cost per place used, scaled from the period's days to a year
       (utfall_period / nullif(arsplatser_nyttjade, 0) * 365.25 / dagar)::double as kostnad_per_arsplats,
       i_mal::bigint as i_mal, (utfall_period / nullif(i_mal, 0))::double as kostnad_per_i_mal
from m;

-- samhallsekonomi --------------------------------------------------------------------------------
-- estimate per episode ended to result: Σ the public cost per month of its sources before and after
-- (the seed); estimated only when both are registered and every source has a cost
create or replace temp table skattning as
with k as (
    select id, 'fore' as nar, unnest(forsorjning_fore) as kalla from ep where till_resultat
    union all
    select id, 'efter', unnest(forsorjning_efter) from ep where till_resultat
)
select k.id,
       count(*) filter (where k.nar = 'fore') > 0 and count(*) filter (where k.nar = 'efter') > 0
           and count(*) filter (where c.forsorjningskalla is null) = 0 as skattad,
       coalesce(sum(c.kostnad_per_manad) filter (where k.nar = 'fore'), 0) as kostnad_fore,
       coalesce(sum(c.kostnad_per_manad) filter (where k.nar = 'efter'), 0) as kostnad_efter
from k left join forsorjning_kostnad c on c.forsorjningskalla = k.kalla
group by k.id;

-- measured social assistance (Socialstyrelsen's household rows, 8 M at national scale, streamed from
-- the files, never stored): additive by month, so only the rows of the newest file per month; per
-- person and month the household's Sbel (applicant and co-applicant each get the whole amount), for
-- the persons of episodes ended to result, up to as_of
create or replace temp table bistand_filer as BISTAND_FILER;

create or replace temp table betalningar as
with h as (
    select make_date(num(r.ar)::int, num(r.manad)::int, 1) as manad, pnr12(r.personnr1) as person1,
           pnr12(nullif(trim(r.personnr2), '')) as person2, num(r.sbel) as sbel
    from raw_procapita_ekonomiskt_bistand r
    semi join bistand_filer f on f._fil = r._fil and f._k0 = make_date(num(r.ar)::int, num(r.manad)::int, 1)
    where nullif(trim(r.personnr1), '') is not null
),
p as (
    select manad, person1 as person, sbel from h
    union all
    select manad, person2, sbel from h where person2 is not null and person2 <> person1
)
select manad, person, sum(sbel) as belopp
from p semi join (select person from ep where till_resultat) e using (person)
where manad <= AS_OF
group by all;

-- mean per month over the 6 months before the month of s and the 6 after the month of t; measured
-- when the person has a payment in either window and both windows lie inside the months the payment
-- data covers (its first month .. its last month that has ended at as_of)
create or replace temp table uppmatt as
with tack as (
    select min(_k0) as forsta,
           least(max(_k0), case when AS_OF = last_day(AS_OF) then manad(AS_OF)
                                else (manad(AS_OF) - interval 1 month)::date end) as sista
    from bistand_filer where _k0 <= AS_OF
),
f as (
    select id, person,
           (manad(s) - interval 6 month)::date as fore_fran, (manad(s) - interval 1 month)::date as fore_till,
           (manad(t) + interval 1 month)::date as efter_fran, (manad(t) + interval 6 month)::date as efter_till
    from ep where till_resultat
),
sm as (
    select f.id,
           sum(b.belopp) filter (where b.manad between f.fore_fran and f.fore_till) as summa_fore,
           sum(b.belopp) filter (where b.manad between f.efter_fran and f.efter_till) as summa_efter,
           count(*) as n
    from f join betalningar b on b.person = f.person
    where b.manad between f.fore_fran and f.fore_till or b.manad between f.efter_fran and f.efter_till
    group by f.id
)
select f.id,
       coalesce(sm.n > 0 and f.fore_fran >= tack.forsta and f.efter_till <= tack.sista, false) as uppmatt,
       coalesce(sm.summa_fore, 0) / 6.0 as fore_per_manad, coalesce(sm.summa_efter, 0) / 6.0 as efter_per_manad
from f cross join tack left join sm on sm.id = f.id;

create or replace table samhallsekonomi as
with e as (  -- per insats and month of t, over the episodes ended to result
    select ep.forbund, ep.insats_id, manad(ep.t) as manad,
           count(*) as n, count_if(sk.skattad) as n_skattade,
           sum(sk.kostnad_fore) filter (where sk.skattad) as fore, sum(sk.kostnad_efter) filter (where sk.skattad) as efter,
           count_if(u.uppmatt) as n_uppmatt,
           sum(u.fore_per_manad) filter (where u.uppmatt) as u_fore, sum(u.efter_per_manad) filter (where u.uppmatt) as u_efter
    from ep left join skattning sk on sk.id = ep.id left join uppmatt u on u.id = ep.id
    where ep.till_resultat
    group by all
),
s as (
    select e.forbund, e.insats_id, mp.typ, mp.id, sum(n) as n, sum(n_skattade) as n_skattade, sum(fore) as fore, sum(efter) as efter,
           sum(n_uppmatt) as n_uppmatt, sum(u_fore) as u_fore, sum(u_efter) as u_efter
    from e join manad_period mp on mp.manad = e.manad
    group by all
),
m as (
    select pr.*, coalesce(s.n, 0) as n, coalesce(s.n_skattade, 0) as n_skattade,
           coalesce(s.fore, 0) as fore, coalesce(s.efter, 0) as efter, coalesce(s.fore, 0) - coalesce(s.efter, 0) as besparing,
           coalesce(s.n_uppmatt, 0) as n_uppmatt, coalesce(s.u_fore, 0) as u_fore, coalesce(s.u_efter, 0) as u_efter
    from pengar_rader pr
    left join s on s.forbund = pr.forbund and s.insats_id = pr.insats_id and s.typ = pr.typ and s.id = pr.id
)
select forbund, insats_id, typ as period_typ, id as period_id, p0 as period_start, p1 as period_slut,
       n::bigint as avslutade_till_resultat, n_skattade::bigint as avslutade_till_resultat_skattade,
       fore::double as kostnad_fore_per_manad, efter::double as kostnad_efter_per_manad, besparing::double as besparing_per_manad,
       utfall_period::double as utfall_period,
       (case when besparing > 0 then utfall_period / besparing end)::double as aterbetalningstid_man,
       n_uppmatt::bigint as personer_med_uppmatt_forsorjningsstod,
       u_fore::double as uppmatt_forsorjningsstod_fore_per_manad, u_efter::double as uppmatt_forsorjningsstod_efter_per_manad
from m;

-- aktivitet (Pro Capita) -------------------------------------------------------------------------
-- activities as they stand at as_of: one that starts after as_of does not exist, one that ends after
-- it is still Pågående; an activity with an Insats-ID belongs to the förbund that registered it,
-- one without to '(okänt)' / '(ingen insats)'. nr: a fixed order, the last tiebreak below.
create or replace temp table akt as
with a as (
    select a.*, row_number() over (order by a.person, a.aktivitet, a.startdatum, a.insats_id nulls first,
                                            a.slutdatum nulls last, a.status) as nr
    from akt_rader a where a.startdatum <= AS_OF
),
b as (
    select coalesce(ins.forbund, '(okänt)') as forbund, coalesce(a.insats_id, '(ingen insats)') as insats_id,
           a.aktivitet, lower(trim(a.aktivitet)) as akt_l, a.person, kon_pnr(a.person) as kon, a.startdatum,
           case when a.slutdatum <= AS_OF then a.slutdatum end as slutdatum, a.slutdatum as slutdatum_reg,
           case when a.slutdatum <= AS_OF then a.status else 'Pågående' end as status, a.nr
    from a left join ins on ins.insats_id = a.insats_id
)
select * from b;

-- which activity takes an attendance day: per person and activity name (case-insensitive), the
-- registered spans (start .. registered end) cut at every start and end into pieces; each piece goes
-- to the activity running on it with an insats, then with the latest start. The pieces do not
-- overlap, so each attendance day meets at most one.
create or replace temp table akt_bitar as
with granser as (
    select person, akt_l, startdatum as fran from akt
    union
    select person, akt_l, slutdatum_reg + 1 from akt where slutdatum_reg is not null
),
bitar as (
    select person, akt_l, fran, lead(fran) over (partition by person, akt_l order by fran) - 1 as till from granser
)
select b.person, b.akt_l, b.fran, coalesce(b.till, date '9999-12-31') as till, a.forbund, a.insats_id, a.aktivitet
from bitar b
join akt a on a.person = b.person and a.akt_l = b.akt_l
    and a.startdatum <= b.fran and coalesce(a.slutdatum_reg, date '9999-12-31') >= b.fran
qualify row_number() over (partition by b.person, b.akt_l, b.fran
                           order by a.insats_id = '(ingen insats)', a.startdatum desc, a.nr) = 1;

-- attendance up to as_of per förbund, insats, aktivitet, kon and month, streamed from the files (20 M
-- rows at national scale are never stored): additive by month, so only the rows of the newest file
-- per month; attendance that no activity takes counts under '(okänt)' / '(ingen insats)'
create or replace temp table narvaro_filer as NARVARO_FILER;

create or replace temp table narvaro_manad as
with n as (
    select pnr12(r.personnummer) as person, trim(r.aktivitet) as aktivitet, d(r.datum) as datum,
           num(r.planerade_timmar) as planerade_timmar, num(r.narvarotimmar) as narvarotimmar
    from raw_procapita_narvaro r
    semi join narvaro_filer f on f._fil = r._fil and f._k0 = manad(d(r.datum))
    where nullif(trim(r.personnummer), '') is not null and d(r.datum) <= AS_OF
)
select coalesce(b.forbund, '(okänt)') as forbund, coalesce(b.insats_id, '(ingen insats)') as insats_id,
       coalesce(b.aktivitet, n.aktivitet) as aktivitet, kon_pnr(n.person) as kon, manad(n.datum) as manad,
       sum(n.planerade_timmar) as planerade_timmar, sum(n.narvarotimmar) as narvarotimmar
from n
left join akt_bitar b on b.person = n.person and b.akt_l = lower(n.aktivitet) and n.datum >= b.fran and n.datum <= b.till
group by all;

-- rows: every (förbund, insats, aktivitet) x every period one of its activities ran in (start <= p1,
-- no end before p0) or had attendance in, x kon (Kvinna, Man and any other seen)
create or replace table aktivitet as
with kon as (
    select 'Kvinna' as kon union select 'Man' union select kon from akt union select kon from narvaro_manad
),
spann as (  -- activity spans as months: a period is whole months, so only the months matter
    select distinct forbund, insats_id, aktivitet, manad(startdatum) as m0, manad(slutdatum) as m1 from akt
),
ap as (
    select distinct a.forbund, a.insats_id, a.aktivitet, p.typ, p.id
    from spann a join perioder p on a.m0 <= p.p1a and coalesce(a.m1, date '9999-12-31') >= p.p0
    union
    select distinct nm.forbund, nm.insats_id, nm.aktivitet, mp.typ, mp.id
    from narvaro_manad nm join manad_period mp on mp.manad = nm.manad
),
avslut as (  -- activities that ended in the period, and how
    select a.forbund, a.insats_id, a.aktivitet, a.kon, mp.typ, mp.id,
           count(*) as avslutade, count_if(a.status = 'Fullföljd') as fullfoljda, count_if(a.status = 'Avbruten') as avbrutna
    from akt a join manad_period mp on mp.manad = manad(a.slutdatum)
    group by all
),
timmar as (
    select nm.forbund, nm.insats_id, nm.aktivitet, nm.kon, mp.typ, mp.id,
           sum(nm.planerade_timmar) as planerade_timmar, sum(nm.narvarotimmar) as narvarotimmar
    from narvaro_manad nm join manad_period mp on mp.manad = nm.manad
    group by all
)
select ap.forbund, ap.insats_id, ap.typ as period_typ, ap.id as period_id, ap.aktivitet, kon.kon,
       p.p0 as period_start, p.p1 as period_slut,
       coalesce(av.avslutade, 0)::bigint as avslutade_aktiviteter,
       coalesce(av.fullfoljda, 0)::bigint as fullfoljda,
       coalesce(av.avbrutna, 0)::bigint as avbrutna,
       (av.fullfoljda / nullif(av.fullfoljda + av.avbrutna, 0))::double as fullfoljandegrad,
       coalesce(ti.planerade_timmar, 0)::double as planerade_timmar,
       coalesce(ti.narvarotimmar, 0)::double as narvarotimmar,
       (ti.narvarotimmar / nullif(ti.planerade_timmar, 0))::double as narvarograd
from ap cross join kon
join perioder p on p.typ = ap.typ and p.id = ap.id
left join avslut av on av.forbund = ap.forbund and av.insats_id = ap.insats_id and av.aktivitet = ap.aktivitet
    and av.kon = kon.kon and av.typ = ap.typ and av.id = ap.id
left join timmar ti on ti.forbund = ap.forbund and ti.insats_id = ap.insats_id and ti.aktivitet = ap.aktivitet
    and ti.kon = kon.kon and ti.typ = ap.typ and ti.id = ap.id;

-- finansiering: per förbund, year (not after as_of) and financier, with the förbund's total --------
create or replace table finansiering as
with f as (
    select forbund, ar, finansiar, sum(belopp) as belopp from fin where make_date(ar, 1, 1) <= AS_OF group by all
)
select forbund, ar, finansiar, 'ar' as period_typ, ar::varchar as period_id,
       make_date(ar, 1, 1) as period_start, make_date(ar, 12, 31) as period_slut,
       -- FINSAM: the state (Försäkringskassan, Arbetsförmedlingen) 1/2, the region 1/4, the kommuner 1/4
       case when lower(finansiar) in ('försäkringskassan', 'arbetsförmedlingen') then 'stat'
            when lower(finansiar) like 'region%' or lower(finansiar) like '%landsting%' then 'region'
            else 'kommun' end as part,
       belopp::double as belopp,
       (sum(belopp) over w)::double as belopp_totalt,
       (belopp / nullif(sum(belopp) over w, 0))::double as andel
from f window w as (partition by forbund, ar);
