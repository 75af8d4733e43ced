-- Unit costs per insats and period: the period's booked cost (int_ekonomi_utfall_period over
-- all kostnadsslag) divided by the persons, the places used and the participants who reached
-- the goal. The participant figures are the participant marts' own (genomflode, resultat,
-- int_deltagande_period), summed over kon, so every figure here matches them.

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
    on_schema_change='fail',
) }}

with

rader as (
    {{ nightly_scope_rows(ref('int_ekonomi_insats_period'), 'forbund', period_slut='period_slut') }}
),

deltagande_period as (
    {{ nightly_scope_rows(ref('int_deltagande_period'), 'forbund', period_slut='period_slut') }}
),

genomflode as (
    {{ nightly_scope_rows(ref('genomflode'), 'forbund', period_slut='period_slut') }}
),

resultat as (
    {{ nightly_scope_rows(ref('resultat'), 'forbund', period_slut='period_slut') }}
),

-- distinct persons: an episode of a person with no other episode in the insats is one person;
-- only the others need a distinct count, which over every episode-period row is slow at national scale
personer as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        count(*) filter (where not flera_deltaganden_i_insatsen)
        + count(distinct person_id) filter (where flera_deltaganden_i_insatsen) as aktiva_personer
    from deltagande_period
    group by all
),

platser as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        sum(deltagardagar) as deltagardagar
    from genomflode
    group by all
),

mal as (
    select forbund, insats_id, period_typ, period_id, sum(i_mal) as i_mal
    from resultat
    group by all
),

matt as (
    select
        rader.*,
        coalesce(personer.aktiva_personer, 0) as aktiva_personer,
        coalesce(platser.deltagardagar, 0) as deltagardagar,
        -- from the exact day sum: a sum of the per-kon doubles would depend on the order
        coalesce(platser.deltagardagar, 0) / rader.dagar_i_period as arsplatser_nyttjade,
        coalesce(mal.i_mal, 0) as i_mal
    from rader
    left join personer
        on rader.forbund = personer.forbund
        and rader.insats_id = personer.insats_id
        and rader.period_typ = personer.period_typ
        and rader.period_id = personer.period_id
    left join platser
        on rader.forbund = platser.forbund
        and rader.insats_id = platser.insats_id
        and rader.period_typ = platser.period_typ
        and rader.period_id = platser.period_id
    left join mal
        on rader.forbund = mal.forbund
        and rader.insats_id = mal.insats_id
        and rader.period_typ = mal.period_typ
        and rader.period_id = mal.period_id
),

final as (
    select
        -- key
        forbund::varchar as forbund,
        insats_id::varchar as insats_id,
        period_typ::varchar as period_typ,
        period_id::varchar as period_id,
        period_start::date as period_start,
        period_slut::date as period_slut,
        dagar_i_period::integer as dagar_i_period,

        -- cost
        utfall_period::double as utfall_period,

        -- per person
        aktiva_personer::bigint as aktiva_personer,
        (utfall_period / nullif(aktiva_personer, 0))::double as kostnad_per_deltagare,

        -- per place: cost per place used, scaled from the period's days to a year
        deltagardagar::bigint as deltagardagar,
        arsplatser_nyttjade::double as arsplatser_nyttjade,
        (utfall_period / nullif(arsplatser_nyttjade, 0) * 365.25 / dagar_i_period)::double as kostnad_per_arsplats,

        -- per participant in goal
        i_mal::bigint as i_mal,
        (utfall_period / nullif(i_mal, 0))::double as kostnad_per_i_mal
    from matt
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
