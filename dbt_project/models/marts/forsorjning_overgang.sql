-- Income transitions per insats, period, utfall and kon: the episodes that ended in the period
-- (early dropouts included, as in forsorjning) per (income source before, income source after).
-- An episode counts once in every (före, efter) pair of its sources; a side with no source
-- registered is `Uppgift saknas` (int_deltagande_kategori). Sparse: only pairs that occur.
--
-- How it counts: as forsorjning, each ended episode once in its end month, the months summed
-- to the periods (int_period_manader).

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
    on_schema_change='fail',
) }}

with

deltagande_i_omfang as (
    {{ nightly_scope_rows(ref('int_deltagande'), 'forbund', active_until='slutdatum') }}
),

deltagande as (
    select * from deltagande_i_omfang
    where ar_avslutad
),

deltagande_kategori as (
    select * from {{ ref('int_deltagande_kategori') }}
    where dimension in ('forsorjning_fore', 'forsorjning_efter')
),

period_manader as (
    select * from {{ ref('int_period_manader') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

-- every (före, efter) pair of each ended episode
par as (
    select
        deltagande.forbund,
        deltagande.insats_id,
        deltagande.kon,
        case when deltagande.tidigt_avhopp then 'tidigt_avhopp' else deltagande.utfall end as utfall,
        fore.kategori as forsorjning_fore,
        efter.kategori as forsorjning_efter,
        cast(date_trunc('month', deltagande.slutdatum) as date) as manad
    from deltagande
    inner join deltagande_kategori as fore
        on deltagande.deltagande_id = fore.deltagande_id
        and fore.dimension = 'forsorjning_fore'
    inner join deltagande_kategori as efter
        on deltagande.deltagande_id = efter.deltagande_id
        and efter.dimension = 'forsorjning_efter'
),

per_manad as (
    select forbund, insats_id, kon, utfall, forsorjning_fore, forsorjning_efter, manad, count(*) as antal
    from par
    group by all
),

-- numbers for the sums, as in fordelning: grouping ~15 M (month, period) rows at national scale on
-- three small integers instead of eight texts
insats_kon as (
    {{ numbered_combinations('per_manad', ['forbund', 'insats_id', 'kon'], 'insats_kon_nr') }}
),

kombinationer as (
    {{ numbered_combinations('per_manad', ['utfall', 'forsorjning_fore', 'forsorjning_efter'], 'kombination_nr') }}
),

per_manad_nr as (
    select
        insats_kon.insats_kon_nr,
        kombinationer.kombination_nr,
        insats_kon.forbund,
        per_manad.manad,
        per_manad.antal
    from per_manad
    inner join insats_kon
        on per_manad.forbund is not distinct from insats_kon.forbund
        and per_manad.insats_id is not distinct from insats_kon.insats_id
        and per_manad.kon is not distinct from insats_kon.kon
    inner join kombinationer
        on per_manad.utfall is not distinct from kombinationer.utfall
        and per_manad.forsorjning_fore is not distinct from kombinationer.forsorjning_fore
        and per_manad.forsorjning_efter is not distinct from kombinationer.forsorjning_efter
),

summor as (
    select
        per_manad_nr.insats_kon_nr,
        per_manad_nr.kombination_nr,
        period_manader.period_nr,
        sum(per_manad_nr.antal) as antal
    from per_manad_nr
    inner join period_manader
        on per_manad_nr.manad = period_manader.manad
    -- in a night, only the sums of rows in scope: the final select keeps no other
    where {{ in_nightly_scope('per_manad_nr.forbund', 'period_manader.period_slut') }}
    group by all
),

-- the period of each period number
numrerade_perioder as (
    select distinct period_nr, period_typ, period_id
    from period_manader
),

final as (
    select
        -- key
        insats_kon.forbund::varchar as forbund,
        insats_kon.insats_id::varchar as insats_id,
        perioder.period_typ::varchar as period_typ,
        perioder.period_id::varchar as period_id,
        kombinationer.utfall::varchar as utfall,
        kombinationer.forsorjning_fore::varchar as forsorjning_fore,
        kombinationer.forsorjning_efter::varchar as forsorjning_efter,
        insats_kon.kon::varchar as kon,
        perioder.period_start::date as period_start,
        perioder.period_slut::date as period_slut,

        -- episodes
        summor.antal::bigint as antal
    from summor
    inner join insats_kon
        on summor.insats_kon_nr = insats_kon.insats_kon_nr
    inner join kombinationer
        on summor.kombination_nr = kombinationer.kombination_nr
    inner join numrerade_perioder
        on summor.period_nr = numrerade_perioder.period_nr
    inner join perioder
        on numrerade_perioder.period_typ = perioder.period_typ
        and numrerade_perioder.period_id = perioder.period_id
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
