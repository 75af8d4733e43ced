-- The payback estimate per episode that ended to result (int_deltagande.till_resultat): the
-- public cost per month of its income sources before (kostnad_fore) and after (kostnad_efter),
-- each the Σ of seeds/forsorjning_kostnad_per_manad.csv over the episode's sources (an episode
-- with two sources costs both). An episode enters the estimate (skattad) only when sources are
-- registered both before and after and every one of them has a cost in the seed: an empty
-- Försörjning efter is "Uppgift saknas", not "no support", and counting it as 0 would invent
-- a saving.
--
-- Incremental: a night recomputes the episodes of changed förbund and those that ended since
-- the last build; an episode's estimate depends on nothing else (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'unique_key': 'deltagande_id'},
) }}

with

deltagande as (
    select *
    from ({{ nightly_episode_rows(ref('int_deltagande'), ['startdatum', 'slutdatum_registrerat']) }})
    where till_resultat
),

kostnad as (
    select * from {{ ref('forsorjning_kostnad_per_manad') }}
),

kallor as (
    select deltagande_id, 'fore' as nar, unnest(forsorjning_fore) as forsorjningskalla
    from deltagande
    union all
    select deltagande_id, 'efter' as nar, unnest(forsorjning_efter) as forsorjningskalla
    from deltagande
),

kostnad_per_episod as (
    select
        kallor.deltagande_id,
        sum(kostnad.kostnad_per_manad) filter (where kallor.nar = 'fore') as kostnad_fore,
        sum(kostnad.kostnad_per_manad) filter (where kallor.nar = 'efter') as kostnad_efter,
        count(*) filter (where kallor.nar = 'fore') as kallor_fore,
        count(*) filter (where kallor.nar = 'efter') as kallor_efter,
        count(*) filter (where kostnad.forsorjningskalla is null) as kallor_utan_kostnad
    from kallor
    left join kostnad
        on kallor.forsorjningskalla = kostnad.forsorjningskalla
    group by kallor.deltagande_id
),

final as (
    select
        deltagande.deltagande_id::varchar as deltagande_id,
        deltagande.forbund::varchar as forbund,
        deltagande.insats_id::varchar as insats_id,
        deltagande.person_id::varchar as person_id,
        deltagande.startdatum::date as startdatum,
        deltagande.slutdatum::date as slutdatum,
        coalesce(kostnad_per_episod.kallor_fore, 0)::integer as kallor_fore,
        coalesce(kostnad_per_episod.kallor_efter, 0)::integer as kallor_efter,
        coalesce(
            kostnad_per_episod.kallor_fore > 0
            and kostnad_per_episod.kallor_efter > 0
            and kostnad_per_episod.kallor_utan_kostnad = 0,
            false
        ) as skattad,
        coalesce(kostnad_per_episod.kostnad_fore, 0)::double as kostnad_fore,
        coalesce(kostnad_per_episod.kostnad_efter, 0)::double as kostnad_efter,
        (coalesce(kostnad_per_episod.kostnad_fore, 0) - coalesce(kostnad_per_episod.kostnad_efter, 0))::double
            as besparing
    from deltagande
    left join kostnad_per_episod
        on deltagande.deltagande_id = kostnad_per_episod.deltagande_id
)

select * from final
