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

-- wide: each longer period meets its months once, not once per measure
{% set matt_lista = ['avslutade_aktiviteter', 'fullfoljda', 'avbrutna', 'planerade_timmar', 'narvarotimmar'] %}

-- in a nightly build the longer periods the night recomputed (macros/nightly_scope.sql): a
-- period that had ended at the last build, of a förbund without new files, has only months that
-- had ended too, none of them recomputed, so it adds up as it did then
langre as (
    select * from ({{ rows_in_nightly_scope(ref('aktivitet')) }}) as i_omfang
    where period_typ <> 'manad'
),

manader as (
    select * from aktivitet where period_typ = 'manad'
),

summor as (
    select
        langre.forbund,
        langre.insats_id,
        langre.aktivitet,
        langre.kon,
        langre.period_typ,
        langre.period_id,
    {%- for m in matt_lista %}
        any_value(langre.{{ m }})::double as {{ m }},
        coalesce(sum(manader.{{ m }}), 0)::double as {{ m }}_manader{{ ',' if not loop.last }}
    {%- endfor %}
    from langre
    left join manader
        on langre.forbund = manader.forbund
        and langre.insats_id = manader.insats_id
        and langre.aktivitet = manader.aktivitet
        and langre.kon = manader.kon
        and manader.period_start between langre.period_start and langre.period_slut
    group by langre.forbund, langre.insats_id, langre.aktivitet, langre.kon, langre.period_typ, langre.period_id
),

jamforelse as (
    unpivot summor
    on
    {%- for m in matt_lista %}
        ({{ m }}, {{ m }}_manader) as {{ m }}{{ ',' if not loop.last }}
    {%- endfor %}
    into name matt_namn value varde, summa_av_manader
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
