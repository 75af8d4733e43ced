-- In aktivitet, per förbund, insats, aktivitet and kon: the months' counts and hours add up to
-- every longer period that contains them (kvartal, halvar, ar, rullande_12), and the months
-- hold every attendance hour of Pro Capita dated inside dim_period up to as_of. A month
-- without a row has nothing. Returns what does not add up.
-- Shown in Dagster as an asset check on aktivitet (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'aktivitet'}}}) }}

with

aktivitet as (
    select * from {{ ref('aktivitet') }}
),

narvaro as (
    select * from {{ ref('int_aktivitet_narvaro') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

matt as (
    select *
    from (
        select
            forbund, insats_id, aktivitet, kon, period_typ, period_id, period_start, period_slut,
            avslutade_aktiviteter::double as avslutade_aktiviteter,
            fullfoljda::double as fullfoljda,
            avbrutna::double as avbrutna,
            planerade_timmar,
            narvarotimmar
        from aktivitet
    )
    unpivot (
        varde for matt_namn in (avslutade_aktiviteter, fullfoljda, avbrutna, planerade_timmar, narvarotimmar)
    )
),

jamforelse as (
    select
        langre.forbund, langre.insats_id, langre.aktivitet, langre.kon, langre.period_typ,
        langre.period_id, langre.matt_namn, langre.varde,
        coalesce(sum(manader.varde), 0) as summa_av_manader
    from matt as langre
    left join matt as manader
        on manader.period_typ = 'manad'
        and langre.forbund = manader.forbund
        and langre.insats_id = manader.insats_id
        and langre.aktivitet = manader.aktivitet
        and langre.kon = manader.kon
        and langre.matt_namn = manader.matt_namn
        and manader.period_start between langre.period_start and langre.period_slut
    where langre.period_typ <> 'manad'
    group by all
),

timmar_i_manader as (
    select sum(planerade_timmar) as planerade_timmar
    from aktivitet
    where period_typ = 'manad'
),

timmar_i_pro_capita as (
    select coalesce(sum(narvaro.planerade_timmar), 0) as planerade_timmar
    from narvaro
    semi join perioder
        on perioder.period_typ = 'manad'
        and narvaro.manad between perioder.period_start and perioder.period_slut_as_of
)

select forbund, insats_id, aktivitet, kon, period_typ, period_id, matt_namn, varde, summa_av_manader
from jamforelse
where abs(varde - summa_av_manader) >= 0.005
union all
select null, null, null, null, 'manad', null, 'planerade_timmar mot Pro Capita', m.planerade_timmar, p.planerade_timmar
from timmar_i_manader as m
cross join timmar_i_pro_capita as p
where abs(coalesce(m.planerade_timmar, 0) - p.planerade_timmar) >= 0.005
