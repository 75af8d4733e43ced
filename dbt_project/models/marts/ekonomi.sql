-- Budget against booked cost per insats, period and kostnadsslag (the reports' "Beslut totalt /
-- Ackumulerat / Återstår" table). The budget is yearly, so only periods inside one year are
-- produced: manad, kvartal, halvar and ar; rullande_12 spans two budget years and is left out.
-- Rows: every insats × period of the participant marts, plus every (förbund, insats) with a
-- budget or a booking in a year × every period of that year ('(förbund)' = the förbund's own
-- administration), each × every kostnadsslag of kodlistor. Zeros, not holes.

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql). A row
-- reads its förbund's budget, ledger and insats periods and, for the period that holds as_of,
-- the months up to as_of: a closed period of an untouched förbund cannot change (a new ledger
-- or insats register makes the build full).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
    on_schema_change='fail',
) }}

with

perioder as (
    select * from {{ ref('dim_period') }}
    where period_typ in ('manad', 'kvartal', 'halvar', 'ar')
),

insats_perioder as (
    select * from {{ ref('int_insats_perioder') }}
),

kostnadsslag as (
    select kod as kostnadsslag, sortering
    from {{ ref('kodlistor') }}
    where kodlista = 'kostnadsslag'
),

budget_rader as (
    select * from {{ ref('stg_ekonomi__budget') }}
),

utfall_manad as (
    select * from {{ ref('int_ekonomi_utfall_manad') }}
),

utfall_period as (
    select * from {{ ref('int_ekonomi_utfall_period') }}
),

-- a budget file may split one insats and kostnadsslag over several lines
budget as (
    select forbund, insats_id, ar, kostnadsslag, sum(belopp) as budget
    from budget_rader
    group by all
),

rader_insats as (
    select distinct
        insats_perioder.forbund,
        insats_perioder.insats_id,
        insats_perioder.period_typ,
        insats_perioder.period_id,
        kostnadsslag.kostnadsslag
    from insats_perioder
    cross join kostnadsslag
    where insats_perioder.period_typ in ('manad', 'kvartal', 'halvar', 'ar')
),

pengar_per_ar as (
    select forbund, insats_id, ar from budget
    union
    select forbund, insats_id, ar from utfall_manad
),

rader_pengar as (
    select
        pengar_per_ar.forbund,
        pengar_per_ar.insats_id,
        perioder.period_typ,
        perioder.period_id,
        kostnadsslag.kostnadsslag
    from pengar_per_ar
    inner join perioder
        on year(perioder.period_start) = pengar_per_ar.ar
    cross join kostnadsslag
),

rader as (
    select
        alla.*,
        perioder.period_start,
        perioder.period_slut,
        perioder.period_slut_as_of,
        year(perioder.period_start)::integer as ar,
        -- months from January through p1 (p1 clipped to as_of; the ledger is monthly, so the
        -- month of as_of counts whole)
        month(perioder.period_slut_as_of)::integer as manader_fran_januari
    from (select * from rader_insats union select * from rader_pengar) as alla
    inner join perioder
        on alla.period_typ = perioder.period_typ
        and alla.period_id = perioder.period_id
),

ackumulerat as (
    select
        rader.forbund,
        rader.insats_id,
        rader.period_typ,
        rader.period_id,
        rader.kostnadsslag,
        sum(utfall_manad.utfall) as ackumulerat
    from rader
    inner join utfall_manad
        on rader.forbund = utfall_manad.forbund
        and rader.insats_id = utfall_manad.insats_id
        and rader.kostnadsslag = utfall_manad.kostnadsslag
        and rader.ar = utfall_manad.ar
        and rader.period_slut >= utfall_manad.manad
    group by all
),

matt as (
    select
        rader.*,
        coalesce(budget.budget, 0) as budget,
        coalesce(utfall_period.utfall_period, 0) as utfall_period,
        coalesce(ackumulerat.ackumulerat, 0) as ackumulerat
    from rader
    left join budget
        on rader.forbund = budget.forbund
        and rader.insats_id = budget.insats_id
        and rader.kostnadsslag = budget.kostnadsslag
        and rader.ar = budget.ar
    left join utfall_period
        on rader.forbund = utfall_period.forbund
        and rader.insats_id = utfall_period.insats_id
        and rader.kostnadsslag = utfall_period.kostnadsslag
        and rader.period_typ = utfall_period.period_typ
        and rader.period_id = utfall_period.period_id
    left join ackumulerat
        on rader.forbund = ackumulerat.forbund
        and rader.insats_id = ackumulerat.insats_id
        and rader.kostnadsslag = ackumulerat.kostnadsslag
        and rader.period_typ = ackumulerat.period_typ
        and rader.period_id = ackumulerat.period_id
),

final as (
    select
        -- key
        matt.forbund::varchar as forbund,
        matt.insats_id::varchar as insats_id,
        matt.period_typ::varchar as period_typ,
        matt.period_id::varchar as period_id,
        matt.kostnadsslag::varchar as kostnadsslag,
        matt.period_start::date as period_start,
        matt.period_slut::date as period_slut,
        matt.ar::integer as ar,
        kostnadsslag.sortering::integer as kostnadsslag_sortering,

        -- budget
        matt.budget::double as budget,
        matt.manader_fran_januari::integer as manader_fran_januari,
        (matt.budget * matt.manader_fran_januari / 12.0)::double as periodiserad_budget,

        -- booked cost
        matt.utfall_period::double as utfall_period,
        matt.ackumulerat::double as ackumulerat,

        -- against the budget
        (matt.budget - matt.ackumulerat)::double as aterstar,
        (matt.ackumulerat / nullif(matt.budget, 0))::double as forbrukningsgrad,
        (matt.ackumulerat - matt.budget * matt.manader_fran_januari / 12.0)::double as avvikelse_mot_periodiserad

    from matt
    left join kostnadsslag
        on matt.kostnadsslag = kostnadsslag.kostnadsslag
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
