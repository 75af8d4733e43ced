-- stegforflyttning: the episodes of steg_matta (ended to result, a step at start and at end) per
-- (start step, end step), in the periods that hold their end; only pairs that occur
create or replace table stegforflyttning as
select ep.forbund, ep.insats_id, p.typ as period_typ, p.id as period_id, ep.steg_start::integer as steg_start,
       ep.steg_slut::integer as steg_slut, ep.kon, p.p0 as period_start, p.p1 as period_slut, count(*)::bigint as antal
from ep join perioder p on ep.t between p.p0 and p.p1a
where ep.till_resultat and ep.steg_start is not null and ep.steg_slut is not null
group by all;

-- forsorjning_overgang: every ended episode once per (source before, source after), `Uppgift saknas`
-- for a side without one; grouped by utfall, early dropouts as tidigt_avhopp
create or replace table forsorjning_overgang as
with fore as (
    select id, forbund, insats_id, kon, t, forsorjning_efter,
           case when tidigt_avhopp then 'tidigt_avhopp' else utfall end as utfall,
           unnest(case when len(coalesce(forsorjning_fore, [])) = 0 then ['Uppgift saknas'] else forsorjning_fore end) as fore
    from ep where t is not null
),
par as (
    select * exclude (forsorjning_efter),
           unnest(case when len(coalesce(forsorjning_efter, [])) = 0 then ['Uppgift saknas'] else forsorjning_efter end) as efter
    from fore
)
select par.forbund, par.insats_id, p.typ as period_typ, p.id as period_id, par.utfall, par.fore as forsorjning_fore,
       par.efter as forsorjning_efter, par.kon, p.p0 as period_start, p.p1 as period_slut, count(*)::bigint as antal
from par join perioder p on par.t between p.p0 and p.p1a
group by all;

-- uppfoljning_finsam: per förbund, insats and year; the register's optional columns read again
create or replace temp table ins_registrering as
select trim(forbund) as forbund, trim(insats_id) as insats_id,
       num(nullif(trim(budgeterat_antal_deltagare), ''))::integer as budgeterat_antal_deltagare,
       nullif(trim(inriktning), '') as inriktning, nullif(trim(malgrupp), '') as malgrupp
from NEWEST_INSATSER
where nullif(trim(insats_id), '') is not null;

create or replace table uppfoljning_finsam as
with ar as (select * from perioder where typ = 'ar'),
insats_ar as (
    select distinct forbund, insats_id, id from rader where typ = 'ar'
    union select distinct forbund, insats_id, period_id from ekonomi where period_typ = 'ar'
),
tilldelat as (
    select forbund, ar::varchar as id, sum(belopp) as tilldelade_medel from fin
    where make_date(ar, 1, 1) <= AS_OF group by all
),
r as (
    select * from insats_ar
    union select forbund, '(förbund)', id from insats_ar
    union select forbund, '(förbund)', id from tilldelat
),
personer as (  -- distinct persons with an aktiv episode in the year, per sex
    select ep.forbund, ep.insats_id, a.id, ep.kon, count(distinct ep.person) as n
    from ep join ar a on ep.s <= a.p1a and coalesce(ep.t, date '9999-12-31') >= a.p0
    group by all
),
anon as (select forbund, insats_id, ar::varchar as id, sum(kvinnor) as kvinnor, sum(man) as man from anonyma group by all),
pengar as (
    select forbund, insats_id, period_id as id, sum(budget) as budget, sum(utfall_period) as utfall
    from ekonomi where period_typ = 'ar' group by all
)
select r.forbund, r.insats_id, 'ar' as period_typ, r.id as period_id, a.p0 as period_start, a.p1 as period_slut,
       case when r.insats_id = '(förbund)' then 'Förbundets administration' else ins.insatsnamn end as insatsnamn,
       reg.inriktning, reg.malgrupp, reg.budgeterat_antal_deltagare,
       coalesce(pg.budget, 0)::double as budget, coalesce(pg.utfall, 0)::double as utfall,
       (coalesce(k.n, 0) + coalesce(an.kvinnor, 0))::bigint as deltagare_kvinnor,
       (coalesce(m.n, 0) + coalesce(an.man, 0))::bigint as deltagare_man,
       coalesce(o.n, 0)::bigint as deltagare_okant_kon,
       (coalesce(k.n, 0) + coalesce(an.kvinnor, 0) + coalesce(m.n, 0) + coalesce(an.man, 0) + coalesce(o.n, 0))::bigint as deltagare_totalt,
       coalesce(an.kvinnor, 0)::bigint as anonyma_kvinnor, coalesce(an.man, 0)::bigint as anonyma_man,
       case when r.insats_id = '(förbund)' then t.tilldelade_medel end::double as tilldelade_medel
from r join ar a using (id)
left join ins using (forbund, insats_id)
left join ins_registrering reg using (forbund, insats_id)
left join pengar pg using (forbund, insats_id, id)
left join anon an using (forbund, insats_id, id)
left join personer k on k.forbund = r.forbund and k.insats_id = r.insats_id and k.id = r.id and k.kon = 'Kvinna'
left join personer m on m.forbund = r.forbund and m.insats_id = r.insats_id and m.id = r.id and m.kon = 'Man'
left join personer o on o.forbund = r.forbund and o.insats_id = r.insats_id and o.id = r.id and o.kon = 'Okänt'
left join tilldelat t on t.forbund = r.forbund and t.id = r.id;

-- jamforelse: per förbund, halvår / år and measure, the ratio of sums over its insatser, beside the
-- median, quartiles, count and rank over the förbund with a value
create or replace table jamforelse as
with fp as (
    select forbund, period_typ, period_id from genomflode where period_typ in ('halvar', 'ar')
    union select forbund, period_typ, period_id from enhetskostnad where period_typ in ('halvar', 'ar') and insats_id <> '(förbund)'
),
g as (
    select forbund, period_typ, period_id, sum(tidiga_avhopp) as tidiga_avhopp, sum(avslutade) as avslutade,
           sum(summa_dagar_avslutade) as summa_dagar_avslutade
    from genomflode group by all
),
res as (
    select forbund, period_typ, period_id, sum(i_mal) as i_mal, sum(avslutade_till_resultat) as atr,
           sum(summa_manader_i_mal) as manader, sum(steg_upp) as steg_upp, sum(steg_matta) as steg_matta
    from resultat group by all
),
bel as (  -- insatser with registered årsplatser only
    select i.forbund, i.period_typ, i.period_id, sum(i.dagar) as dagar, sum(di.arsplatser * dp.dagar_i_period) as platsdagar
    from (select forbund, insats_id, period_typ, period_id, sum(deltagardagar) as dagar from genomflode group by all) i
    join dim_insats di using (forbund, insats_id)
    join dim_period dp using (period_typ, period_id)
    where di.arsplatser > 0
    group by all
),
k as (
    select forbund, period_typ, period_id, sum(utfall_period) as utfall_period, sum(aktiva_personer) as personer
    from enhetskostnad where insats_id <> '(förbund)' group by all
),
s as (
    select fp.*, m.matt, m.taljare::double as taljare, m.namnare::double as namnare
    from fp
    left join g using (forbund, period_typ, period_id)
    left join res using (forbund, period_typ, period_id)
    left join bel using (forbund, period_typ, period_id)
    left join k using (forbund, period_typ, period_id)
    cross join lateral (values
        ('andel_i_mal', coalesce(res.i_mal, 0), coalesce(res.atr, 0)),
        ('andel_tidiga_avhopp', coalesce(g.tidiga_avhopp, 0), coalesce(g.avslutade, 0)),
        ('belaggningsgrad', coalesce(bel.dagar, 0), coalesce(bel.platsdagar, 0)),
        ('genomstromningstid_man', coalesce(res.manader, 0), coalesce(res.i_mal, 0)),
        ('kostnad_per_deltagare', coalesce(k.utfall_period, 0), coalesce(k.personer, 0)),
        ('andel_steg_upp', coalesce(res.steg_upp, 0), coalesce(res.steg_matta, 0)),
        ('snittid_avslutade_dagar', coalesce(g.summa_dagar_avslutade, 0), coalesce(g.avslutade, 0))
    ) m(matt, taljare, namnare)
),
v as (select *, case when namnare <> 0 then taljare / namnare end as varde from s)
select v.forbund, v.period_typ, v.period_id, v.matt, dp.period_start, dp.period_slut, v.taljare, v.namnare, v.varde,
       (count(v.varde) over (partition by v.period_typ, v.period_id, v.matt))::integer as antal_forbund,
       quantile_cont(v.varde, 0.5) over (partition by v.period_typ, v.period_id, v.matt) as median,
       quantile_cont(v.varde, 0.25) over (partition by v.period_typ, v.period_id, v.matt) as p25,
       quantile_cont(v.varde, 0.75) over (partition by v.period_typ, v.period_id, v.matt) as p75,
       (case when v.varde is not null then rank() over (
            partition by v.period_typ, v.period_id, v.matt order by v.varde desc nulls last) end)::integer as rang
from v join dim_period dp using (period_typ, period_id);
