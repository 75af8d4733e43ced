-- One row per deltagande and period in which it was aktiv (s <= p1 and (t is null or t >= p0)),
-- with the episode measures of docs/metrics/throughput.md as 0/1 flags and day counts, so that every mart
-- measure is a plain sum of this model. p1 is the period's last day that exists at as_of.
--
-- A view, not a table: it has one row per episode and period the episode was aktiv in (about
-- 30 M rows at national scale), which DuckDB joins and sums in about a second but needs ten
-- times longer to write; each mart reads it straight into its own sums.
--
-- Its rows change at night like the marts' (changed förbund, periods not over at the last
-- build): the nightly_scope config below lets its tests check those rows only.
{{ config(materialized='view', nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'}) }}

with

deltagande as (
    select * from {{ ref('int_deltagande') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

aktiva as (
    select
        deltagande.*,
        perioder.period_typ,
        perioder.period_id,
        perioder.period_slut,
        perioder.period_start as p0,
        perioder.period_slut_as_of as p1
    from deltagande
    -- ongoing (no end) as the last date there is: both bounds in one range join, no filter after it
    inner join perioder
        on deltagande.startdatum <= perioder.period_slut_as_of
        and coalesce(deltagande.slutdatum, '9999-12-31'::date) >= perioder.period_start
),

matt as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        period_slut,
        deltagande_id,
        person_id,
        flera_deltaganden_i_insatsen,
        kon,

        -- stock and flow
        startdatum < p0 as inskriven_vid_periodstart,
        startdatum >= p0 as nyinskriven,
        startdatum >= p0 and (slutdatum is null or slutdatum > p1) as nyinskriven_pagaende_vid_periodslut,
        slutdatum is not null and slutdatum <= p1 as avslutad,
        slutdatum is null or slutdatum > p1 as inskriven_vid_periodslut,

        -- days enrolled inside the period, both ends counted
        (least(coalesce(slutdatum, p1), p1) - greatest(startdatum, p0) + 1)::bigint as deltagardagar,

        -- SUS snittid: days from start to the end or the period's end (nyinskrivna), to the end (avslutade)
        case
            when startdatum >= p0 then least(coalesce(slutdatum, p1), p1) - startdatum else 0
        end::bigint as dagar_nyinskriven,
        case
            when slutdatum <= p1 then slutdatum - startdatum else 0
        end::bigint as dagar_avslutad,

        -- the per-episode facts of int_deltagande, kept for the episodes that ended in the period
        slutdatum <= p1 and tidigt_avhopp as tidigt_avhopp,
        slutdatum <= p1 and till_resultat as avslutad_till_resultat,
        case when slutdatum <= p1 and till_resultat then utfall end as utfall,
        slutdatum <= p1 and i_mal as i_mal,
        case when slutdatum <= p1 and i_mal then manader_exakt else 0 end as manader_i_mal,
        case when slutdatum <= p1 and i_mal then slutdatum - startdatum else 0 end as dagar_i_mal,
        slutdatum <= p1 and steg_matt as steg_matt,
        slutdatum <= p1 and steg_upp as steg_upp,
        slutdatum <= p1 and steg_ned as steg_ned
    from aktiva
),

final as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        period_slut,
        deltagande_id,
        person_id,
        flera_deltaganden_i_insatsen,
        kon,
        inskriven_vid_periodstart,
        nyinskriven,
        nyinskriven_pagaende_vid_periodslut,
        avslutad,
        coalesce(tidigt_avhopp, false) as tidigt_avhopp,
        coalesce(avslutad_till_resultat, false) as avslutad_till_resultat,
        inskriven_vid_periodslut,
        deltagardagar,
        dagar_nyinskriven,
        dagar_avslutad,
        utfall,
        coalesce(i_mal, false) as i_mal,
        manader_i_mal::double as manader_i_mal,
        dagar_i_mal::bigint as dagar_i_mal,
        coalesce(steg_matt, false) as steg_matt,
        coalesce(steg_upp, false) as steg_upp,
        coalesce(steg_ned, false) as steg_ned
    from matt
)

select * from final
