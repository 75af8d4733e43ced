-- Outcomes per insats, period and kon, over the episodes that ended in the period after the
-- trial period (avslutade till resultat): outcome counts, goal share, throughput time and
-- processtrappa steps. Sums of int_deltagande_period; averages come with their sum and count.

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

summor as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        kon,
        count_if(avslutad_till_resultat) as avslutade_till_resultat,
        count_if(utfall = 'arbete') as till_arbete,
        count_if(utfall = 'studier') as till_studier,
        count_if(utfall = 'arbetslivsinriktad_rehab') as till_arbetslivsinriktad_rehab,
        count_if(utfall = 'aktivt_arbetssokande') as till_aktivt_arbetssokande,
        count_if(utfall = 'sjukdom') as till_sjukdom,
        count_if(utfall = 'ovrigt') as till_ovrigt,
        count_if(i_mal) as i_mal,
        -- the exact day sum in months: a sum of per-episode doubles depends on the order
        sum(dagar_i_mal) as summa_dagar_i_mal,
        {{ dagar_till_manader('sum(dagar_i_mal)') }} as summa_manader_i_mal,
        count_if(steg_matt) as steg_matta,
        count_if(steg_upp) as steg_upp,
        count_if(steg_ned) as steg_ned
    from deltagande_period
    where avslutad_till_resultat
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

        -- outcomes
        coalesce(summor.avslutade_till_resultat, 0)::bigint as avslutade_till_resultat,
        coalesce(summor.till_arbete, 0)::bigint as till_arbete,
        coalesce(summor.till_studier, 0)::bigint as till_studier,
        coalesce(summor.till_arbetslivsinriktad_rehab, 0)::bigint as till_arbetslivsinriktad_rehab,
        coalesce(summor.till_aktivt_arbetssokande, 0)::bigint as till_aktivt_arbetssokande,
        coalesce(summor.till_sjukdom, 0)::bigint as till_sjukdom,
        coalesce(summor.till_ovrigt, 0)::bigint as till_ovrigt,

        -- goal
        coalesce(summor.i_mal, 0)::bigint as i_mal,
        (summor.i_mal / nullif(summor.avslutade_till_resultat, 0))::double as andel_i_mal,
        coalesce(summor.summa_dagar_i_mal, 0)::bigint as summa_dagar_i_mal,
        coalesce(summor.summa_manader_i_mal, 0)::double as summa_manader_i_mal,
        (summor.summa_manader_i_mal / nullif(summor.i_mal, 0))::double as genomstromningstid_man,

        -- processtrappa
        coalesce(summor.steg_matta, 0)::bigint as steg_matta,
        coalesce(summor.steg_upp, 0)::bigint as steg_upp,
        coalesce(summor.steg_ned, 0)::bigint as steg_ned,
        (summor.steg_upp / nullif(summor.steg_matta, 0))::double as andel_steg_upp

    from rader
    left join summor
        on rader.forbund = summor.forbund
        and rader.insats_id = summor.insats_id
        and rader.period_typ = summor.period_typ
        and rader.period_id = summor.period_id
        and rader.kon = summor.kon
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
