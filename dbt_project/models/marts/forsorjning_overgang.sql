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

summor as (
    select
        per_manad.forbund,
        per_manad.insats_id,
        period_manader.period_typ,
        period_manader.period_id,
        per_manad.utfall,
        per_manad.forsorjning_fore,
        per_manad.forsorjning_efter,
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
        summor.utfall::varchar as utfall,
        summor.forsorjning_fore::varchar as forsorjning_fore,
        summor.forsorjning_efter::varchar as forsorjning_efter,
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
