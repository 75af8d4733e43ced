-- Each single-valued distribution sums over its categories to its population in genomflode:
-- aldersgrupp, utbildningsniva, tid_i_offentlig_forsorjning and remittent to nyinskrivna,
-- tid_i_insats to avslutade_till_resultat, avslutsanledning to avslutade; forsorjning_fore
-- (several sources per episode) to at least nyinskrivna. In forsorjning, the sources before and
-- after each sum to at least avslutade (every ended episode has a source or Uppgift saknas).
-- Returns the rows that do not add up.
-- In a nightly build it checks the rows the night recomputed (macros/nightly_scope.sql).
-- Shown in Dagster as an asset check on fordelning (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fordelning'}}}) }}

with

genomflode as (
    {{ rows_in_nightly_scope(ref('genomflode')) }}
),

fordelning as (
    {{ rows_in_nightly_scope(ref('fordelning')) }}
),

forsorjning as (
    {{ rows_in_nightly_scope(ref('forsorjning')) }}
),

-- fordelning is sparse: a genomflode row with no counted category meets a sum of 0
fordelning_summor as (
    select forbund, insats_id, period_typ, period_id, kon, dimension, sum(antal) as antal
    from fordelning
    group by all
),

forsorjning_summor as (
    select
        forbund, insats_id, period_typ, period_id, kon, sum(antal_fore) as antal_fore, sum(antal_efter) as antal_efter
    from forsorjning
    where antal_fore > 0 or antal_efter > 0
    group by all
),

dimensioner as (
    select dimension, population from {{ ref('fordelning_dimensioner') }}
),

jamforelse as (
    select
        genomflode.forbund,
        genomflode.insats_id,
        genomflode.period_typ,
        genomflode.period_id,
        genomflode.kon,
        dimensioner.dimension,
        coalesce(fordelning_summor.antal, 0) as antal,
        case dimensioner.population
            when 'avslutade_till_resultat' then genomflode.avslutade_till_resultat
            when 'avslutade' then genomflode.avslutade
            when 'nyinskrivna' then genomflode.nyinskrivna
        end as population
    from genomflode
    cross join dimensioner
    left join fordelning_summor
        on genomflode.forbund = fordelning_summor.forbund
        and genomflode.insats_id = fordelning_summor.insats_id
        and genomflode.period_typ = fordelning_summor.period_typ
        and genomflode.period_id = fordelning_summor.period_id
        and genomflode.kon = fordelning_summor.kon
        and dimensioner.dimension = fordelning_summor.dimension
)

select forbund, insats_id, period_typ, period_id, kon, dimension, antal, population
from jamforelse
where (dimension = 'forsorjning_fore' and antal < population)
    or (dimension <> 'forsorjning_fore' and antal <> population)
union all
select
    genomflode.forbund, genomflode.insats_id, genomflode.period_typ, genomflode.period_id,
    genomflode.kon, 'forsorjning fore/efter',
    least(coalesce(forsorjning_summor.antal_fore, 0), coalesce(forsorjning_summor.antal_efter, 0)),
    genomflode.avslutade
from genomflode
left join forsorjning_summor
    using (forbund, insats_id, period_typ, period_id, kon)
where least(coalesce(forsorjning_summor.antal_fore, 0), coalesce(forsorjning_summor.antal_efter, 0))
    < genomflode.avslutade
