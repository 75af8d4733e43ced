-- Each single-valued distribution sums over its categories to its population in genomflode:
-- aldersgrupp, utbildningsniva, tid_i_offentlig_forsorjning and remittent to nyinskrivna,
-- tid_i_insats to avslutade_till_resultat, avslutsanledning to avslutade; forsorjning_fore
-- (several sources per episode) to at least nyinskrivna. In forsorjning, the sources before and
-- after each sum to at least avslutade (every ended episode has a source or Uppgift saknas).
-- Returns the rows that do not add up.
-- Shown in Dagster as an asset check on fordelning (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'fordelning'}}}) }}

with

genomflode as (
    select * from {{ ref('genomflode') }}
),

fordelning as (
    select * from {{ ref('fordelning') }}
),

forsorjning as (
    select * from {{ ref('forsorjning') }}
),

fordelning_summor as (
    select forbund, insats_id, period_typ, period_id, kon, dimension, sum(antal) as antal
    from fordelning
    group by all
),

forsorjning_summor as (
    select forbund, insats_id, period_typ, period_id, kon, sum(antal_fore) as antal_fore, sum(antal_efter) as antal_efter
    from forsorjning
    group by all
),

jamforelse as (
    select
        fordelning_summor.*,
        case fordelning_summor.dimension
            when 'tid_i_insats' then genomflode.avslutade_till_resultat
            when 'avslutsanledning' then genomflode.avslutade
            else genomflode.nyinskrivna
        end as population
    from fordelning_summor
    inner join genomflode
        using (forbund, insats_id, period_typ, period_id, kon)
)

select forbund, insats_id, period_typ, period_id, kon, dimension, antal, population
from jamforelse
where (dimension = 'forsorjning_fore' and antal < population)
    or (dimension <> 'forsorjning_fore' and antal <> population)
union all
select forsorjning_summor.forbund, forsorjning_summor.insats_id, forsorjning_summor.period_typ,
    forsorjning_summor.period_id, forsorjning_summor.kon, 'forsorjning fore/efter',
    least(forsorjning_summor.antal_fore, forsorjning_summor.antal_efter), genomflode.avslutade
from forsorjning_summor
inner join genomflode
    using (forbund, insats_id, period_typ, period_id, kon)
where least(forsorjning_summor.antal_fore, forsorjning_summor.antal_efter) < genomflode.avslutade
