-- The rows every participant mart has: each insats × each period it was running (registered
-- start <= p1 and no registered end before p0) or had anything to report (an aktiv episode,
-- a felregistrering, an anonymous count) × kon (Kvinna, Man, Okänt). Marts left-join their
-- sums onto these rows, so a period with nothing in it shows zeros, never a hole.
--
-- Incremental: a night recomputes the rows of changed förbund and of periods not over at the
-- last build, like the marts that read it (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
) }}

with

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

deltagande_period as (
    {{ nightly_scope_rows(ref('int_deltagande_period'), 'forbund', period_slut='period_slut') }}
),

felregistreringar as (
    select * from {{ ref('stg_sus__felregistreringar') }}
),

anonyma as (
    select * from {{ ref('stg_sus__anonyma') }}
),

kon as (
    select * from (values ('Kvinna', 1), ('Man', 2), ('Okänt', 3)) as t (kon, kon_sortering)
),

insatsen_pagick as (
    select insatser.forbund, insatser.insats_id, perioder.period_typ, perioder.period_id
    from insatser
    inner join perioder
        on insatser.startdatum <= perioder.period_slut_as_of
        and coalesce(insatser.slutdatum, '9999-12-31'::date) >= perioder.period_start
),

med_deltagande as (
    select distinct forbund, insats_id, period_typ, period_id
    from deltagande_period
),

med_felregistreringar as (
    select distinct felregistreringar.forbund, felregistreringar.insats_id, perioder.period_typ, perioder.period_id
    from felregistreringar
    inner join perioder
        on felregistreringar.startdatum between perioder.period_start and perioder.period_slut_as_of
),

med_anonyma as (
    select distinct anonyma.forbund, anonyma.insats_id, perioder.period_typ, perioder.period_id
    from anonyma
    inner join perioder
        on perioder.period_typ = 'ar'
        and perioder.period_id = anonyma.ar::varchar
),

insats_perioder as (
    select * from insatsen_pagick
    union
    select * from med_deltagande
    union
    select * from med_felregistreringar
    union
    select * from med_anonyma
),

final as (
    select
        insats_perioder.forbund,
        insats_perioder.insats_id,
        insats_perioder.period_typ,
        insats_perioder.period_id,
        kon.kon,
        kon.kon_sortering,
        perioder.period_start,
        perioder.period_slut,
        perioder.period_slut_as_of,
        perioder.dagar_i_period,
        perioder.is_complete,
        insatser.arsplatser
    from insats_perioder
    inner join perioder
        on insats_perioder.period_typ = perioder.period_typ
        and insats_perioder.period_id = perioder.period_id
    left join insatser
        on insats_perioder.forbund = insatser.forbund
        and insats_perioder.insats_id = insatser.insats_id
    cross join kon
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
