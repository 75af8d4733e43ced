-- Throughput per insats, period and kon: the SUS Deltagarrapport and the "Deltagarresultat"
-- stock-and-flow table. Every count is a sum of int_deltagande_period; averages come with the
-- sum and the count behind them.

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
    on_schema_change='fail',
) }}

with

rader as (
    {{ nightly_scope_rows(ref('int_insats_perioder'), 'forbund', period_slut='period_slut') }}
),

deltagande_period as (
    {{ nightly_scope_rows(ref('int_deltagande_period'), 'forbund', period_slut='period_slut') }}
),

anonyma as (
    select * from {{ ref('stg_sus__anonyma') }}
),

summor as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        kon,
        count_if(inskriven_vid_periodstart) as inskrivna_vid_periodstart,
        count_if(nyinskriven) as nyinskrivna,
        count_if(nyinskriven_pagaende_vid_periodslut) as nyinskrivna_pagaende_vid_periodslut,
        count_if(avslutad) as avslutade,
        count_if(tidigt_avhopp) as tidiga_avhopp,
        count_if(avslutad_till_resultat) as avslutade_till_resultat,
        count_if(inskriven_vid_periodslut) as inskrivna_vid_periodslut,
        count(*) as aktiva,
        sum(deltagardagar) as deltagardagar,
        sum(dagar_nyinskriven) as summa_dagar_nyinskrivna,
        sum(dagar_avslutad) as summa_dagar_avslutade
    from deltagande_period
    group by all
),

-- anonymous participants are a yearly count per sex: only on `ar` rows, never in the episode measures
anonyma_per_kon as (
    select forbund, insats_id, 'ar' as period_typ, ar::varchar as period_id, 'Kvinna' as kon, sum(kvinnor) as anonyma
    from anonyma
    group by all
    union all
    select forbund, insats_id, 'ar' as period_typ, ar::varchar as period_id, 'Man' as kon, sum(man) as anonyma
    from anonyma
    group by all
),

final as (
    select
        -- key
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        rader.kon::varchar as kon,
        rader.period_start::date as period_start,
        rader.period_slut::date as period_slut,

        -- stock and flow
        coalesce(summor.inskrivna_vid_periodstart, 0)::bigint as inskrivna_vid_periodstart,
        coalesce(summor.nyinskrivna, 0)::bigint as nyinskrivna,
        coalesce(summor.nyinskrivna_pagaende_vid_periodslut, 0)::bigint as nyinskrivna_pagaende_vid_periodslut,
        coalesce(summor.avslutade, 0)::bigint as avslutade,
        coalesce(summor.tidiga_avhopp, 0)::bigint as tidiga_avhopp,
        coalesce(summor.avslutade_till_resultat, 0)::bigint as avslutade_till_resultat,
        coalesce(summor.inskrivna_vid_periodslut, 0)::bigint as inskrivna_vid_periodslut,
        coalesce(summor.aktiva, 0)::bigint as aktiva,

        -- capacity
        coalesce(summor.deltagardagar, 0)::bigint as deltagardagar,
        (coalesce(summor.deltagardagar, 0) / rader.dagar_i_period)::double as arsplatser_nyttjade,
        (
            coalesce(summor.deltagardagar, 0) / rader.dagar_i_period / nullif(rader.arsplatser, 0)
        )::double as belaggningsgrad,

        -- time in insats (SUS snittid)
        coalesce(summor.summa_dagar_nyinskrivna, 0)::bigint as summa_dagar_nyinskrivna,
        (summor.summa_dagar_nyinskrivna / nullif(summor.nyinskrivna, 0))::double as snittid_nyinskrivna_dagar,
        coalesce(summor.summa_dagar_avslutade, 0)::bigint as summa_dagar_avslutade,
        (summor.summa_dagar_avslutade / nullif(summor.avslutade, 0))::double as snittid_avslutade_dagar,

        -- anonymous participants (joined on `ar` rows only)
        coalesce(anonyma_per_kon.anonyma, 0)::bigint as anonyma

    from rader
    left join summor
        on rader.forbund = summor.forbund
        and rader.insats_id = summor.insats_id
        and rader.period_typ = summor.period_typ
        and rader.period_id = summor.period_id
        and rader.kon = summor.kon
    left join anonyma_per_kon
        on rader.period_typ = anonyma_per_kon.period_typ
        and rader.forbund = anonyma_per_kon.forbund
        and rader.insats_id = anonyma_per_kon.insats_id
        and rader.period_id = anonyma_per_kon.period_id
        and rader.kon = anonyma_per_kon.kon
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
