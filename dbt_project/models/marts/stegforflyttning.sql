-- Step transitions per insats, period and kon: the episodes that count in resultat.steg_matta
-- (ended to result in the period, with a processtrappa step at start and at end), per
-- (start step, end step). Sparse: only pairs that occur; a missing pair means 0.
--
-- How it counts: as forsorjning, each episode once in its end month, the months summed to the
-- periods (int_period_manader): an episode ends to result in a period exactly when its end
-- month is one of the period's months.

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
    where steg_matt
),

period_manader as (
    select * from {{ ref('int_period_manader') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

per_manad as (
    select
        forbund,
        insats_id,
        kon,
        steg_start,
        steg_slut,
        cast(date_trunc('month', slutdatum) as date) as manad,
        count(*) as antal
    from deltagande
    group by all
),

summor as (
    select
        per_manad.forbund,
        per_manad.insats_id,
        period_manader.period_typ,
        period_manader.period_id,
        per_manad.steg_start,
        per_manad.steg_slut,
        per_manad.kon,
        sum(per_manad.antal) as antal
    from per_manad
    inner join period_manader
        on per_manad.manad = period_manader.manad
    -- in a night, only the sums of rows in scope: the final select keeps no other
    where {{ in_nightly_scope('per_manad.forbund', 'period_manader.period_slut') }}
    group by all
),

final as (
    select
        -- key
        summor.forbund::varchar as forbund,
        summor.insats_id::varchar as insats_id,
        summor.period_typ::varchar as period_typ,
        summor.period_id::varchar as period_id,
        summor.steg_start::integer as steg_start,
        summor.steg_slut::integer as steg_slut,
        summor.kon::varchar as kon,
        perioder.period_start::date as period_start,
        perioder.period_slut::date as period_slut,

        -- episodes
        summor.antal::bigint as antal
    from summor
    inner join perioder
        on summor.period_typ = perioder.period_typ
        and summor.period_id = perioder.period_id
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
