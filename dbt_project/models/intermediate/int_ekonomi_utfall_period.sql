-- Booked cost per förbund, insats, kostnadsslag and period of dim_period (every period type,
-- rullande_12 included): Σ of the months of int_ekonomi_utfall_manad that lie in the period.
-- Only combinations with at least one booking month in the period have a row; the marts add
-- the zeros.
--
-- Incremental: a night recomputes the periods not over at the last build; a night brings no
-- ledger file (one makes the build full), so nothing else can change (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': none, 'period_slut': 'period_slut'},
) }}

with

utfall_manad as (
    select * from {{ ref('int_ekonomi_utfall_manad') }}
),

perioder as (
    {{ nightly_scope_rows(ref('dim_period'), none, period_slut='period_slut') }}
),

final as (
    select
        utfall_manad.forbund::varchar as forbund,
        utfall_manad.insats_id::varchar as insats_id,
        utfall_manad.kostnadsslag::varchar as kostnadsslag,
        perioder.period_typ::varchar as period_typ,
        perioder.period_id::varchar as period_id,
        perioder.period_slut::date as period_slut,
        sum(utfall_manad.utfall)::{{ belopp_typ() }} as utfall_period,
        count(*)::bigint as bokningsmanader
    from utfall_manad
    inner join perioder
        on utfall_manad.manad between perioder.period_start and perioder.period_slut
    group by all
)

select * from final
