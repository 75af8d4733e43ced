-- Payback (återbetalningstid) per insats and period, over the episodes that ended to result in
-- the period (int_deltagande_period.avslutad_till_resultat): the estimated public cost per
-- month before and after (int_samhallsekonomi_deltagande, from the parameter seed
-- forsorjning_kostnad_per_manad), the saving per month, the period's booked cost and the
-- months it takes the saving to repay the cost; beside it the social assistance measured in
-- Pro Capita (int_forsorjningsstod_deltagande). Sums, with the counts behind them.

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql), here also
-- periods that ended up to 8 months before the last build: the försörjningsstöd measured over
-- the six months after an episode's end is known only once those months have ended.
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut', 'months_back': 8},
    on_schema_change='fail',
) }}

with

rader as (
    {{ nightly_scope_rows(ref('int_ekonomi_insats_period'), 'forbund', period_slut='period_slut', months_back=8) }}
),

deltagande_period_i_omfang as (
    {{ nightly_scope_rows(ref('int_deltagande_period'), 'forbund', period_slut='period_slut', months_back=8) }}
),

deltagande_period as (
    select * from deltagande_period_i_omfang
    where avslutad_till_resultat
),

skattning as (
    {{ nightly_scope_rows(ref('int_samhallsekonomi_deltagande'), 'forbund', active_until='slutdatum', months_back=8) }}
),

uppmatt as (
    select * from {{ ref('int_forsorjningsstod_deltagande') }}
),

summor as (
    select
        deltagande_period.forbund,
        deltagande_period.insats_id,
        deltagande_period.period_typ,
        deltagande_period.period_id,
        count(*) as avslutade_till_resultat,
        count_if(skattning.skattad) as avslutade_till_resultat_skattade,
        sum(skattning.kostnad_fore) filter (where skattning.skattad) as kostnad_fore_per_manad,
        sum(skattning.kostnad_efter) filter (where skattning.skattad) as kostnad_efter_per_manad,
        sum(skattning.besparing) filter (where skattning.skattad) as besparing_per_manad,
        count_if(uppmatt.uppmatt) as personer_med_uppmatt_forsorjningsstod,
        -- Σ of the exact six-month sums, then per month: the same inputs give the same bits
        sum(uppmatt.summa_forsorjningsstod_fore) filter (where uppmatt.uppmatt) / 6.0
            as uppmatt_forsorjningsstod_fore_per_manad,
        sum(uppmatt.summa_forsorjningsstod_efter) filter (where uppmatt.uppmatt) / 6.0
            as uppmatt_forsorjningsstod_efter_per_manad
    from deltagande_period
    left join skattning
        on deltagande_period.deltagande_id = skattning.deltagande_id
    left join uppmatt
        on deltagande_period.deltagande_id = uppmatt.deltagande_id
    group by all
),

matt as (
    select
        rader.*,
        coalesce(summor.avslutade_till_resultat, 0) as avslutade_till_resultat,
        coalesce(summor.avslutade_till_resultat_skattade, 0) as avslutade_till_resultat_skattade,
        coalesce(summor.kostnad_fore_per_manad, 0) as kostnad_fore_per_manad,
        coalesce(summor.kostnad_efter_per_manad, 0) as kostnad_efter_per_manad,
        coalesce(summor.besparing_per_manad, 0) as besparing_per_manad,
        coalesce(summor.personer_med_uppmatt_forsorjningsstod, 0) as personer_med_uppmatt_forsorjningsstod,
        coalesce(summor.uppmatt_forsorjningsstod_fore_per_manad, 0) as uppmatt_forsorjningsstod_fore_per_manad,
        coalesce(summor.uppmatt_forsorjningsstod_efter_per_manad, 0) as uppmatt_forsorjningsstod_efter_per_manad
    from rader
    left join summor
        on rader.forbund = summor.forbund
        and rader.insats_id = summor.insats_id
        and rader.period_typ = summor.period_typ
        and rader.period_id = summor.period_id
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

        -- the cohort
        avslutade_till_resultat::bigint as avslutade_till_resultat,
        avslutade_till_resultat_skattade::bigint as avslutade_till_resultat_skattade,

        -- the estimate
        kostnad_fore_per_manad::double as kostnad_fore_per_manad,
        kostnad_efter_per_manad::double as kostnad_efter_per_manad,
        besparing_per_manad::double as besparing_per_manad,
        utfall_period::double as utfall_period,
        case
            when besparing_per_manad > 0 then utfall_period / besparing_per_manad
        end::double as aterbetalningstid_man,

        -- measured social assistance, beside the estimate
        personer_med_uppmatt_forsorjningsstod::bigint as personer_med_uppmatt_forsorjningsstod,
        uppmatt_forsorjningsstod_fore_per_manad::double as uppmatt_forsorjningsstod_fore_per_manad,
        uppmatt_forsorjningsstod_efter_per_manad::double as uppmatt_forsorjningsstod_efter_per_manad
    from matt
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut', months_back=8) }}
