-- The rows of the money-per-insats marts (enhetskostnad, samhallsekonomi): every insats ×
-- period of the participant marts (int_insats_perioder, without kon) plus every förbund ×
-- insats × period with booked cost (so '(förbund)', the förbund's own administration, and cost
-- booked outside an insats' registered life are not lost), with the period's booked cost over
-- all kostnadsslag (0 when nothing was booked).
--
-- Incremental: a night recomputes the rows of changed förbund and of periods not over at the
-- last build, as its inputs do (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
) }}

with

insats_perioder as (
    {{ nightly_scope_rows(ref('int_insats_perioder'), 'forbund', period_slut='period_slut') }}
),

utfall_period as (
    {{ nightly_scope_rows(ref('int_ekonomi_utfall_period'), 'forbund', period_slut='period_slut') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

rader as (
    select distinct forbund, insats_id, period_typ, period_id
    from insats_perioder
    union
    select distinct forbund, insats_id, period_typ, period_id
    from utfall_period
),

utfall as (
    select forbund, insats_id, period_typ, period_id, sum(utfall_period) as utfall_period
    from utfall_period
    group by all
),

final as (
    select
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        perioder.period_start::date as period_start,
        perioder.period_slut::date as period_slut,
        perioder.period_slut_as_of::date as period_slut_as_of,
        perioder.dagar_i_period::integer as dagar_i_period,
        coalesce(utfall.utfall_period, 0)::{{ belopp_typ() }} as utfall_period
    from rader
    inner join perioder
        on rader.period_typ = perioder.period_typ
        and rader.period_id = perioder.period_id
    left join utfall
        on rader.forbund = utfall.forbund
        and rader.insats_id = utfall.insats_id
        and rader.period_typ = utfall.period_typ
        and rader.period_id = utfall.period_id
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
