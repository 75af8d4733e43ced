-- genomflode, resultat and forsorjning describe the same insats × period × kon rows, and
-- resultat's avslutade_till_resultat is genomflode's; fordelning, sparse, has no row outside
-- them. Returns rows present in one and not the other, or with a different
-- avslutade_till_resultat.
-- In a nightly build it checks the rows the night recomputed (macros/nightly_scope.sql).
-- Shown in Dagster as an asset check on genomflode (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'genomflode'}}}) }}

with

genomflode as (
    select forbund, insats_id, period_typ, period_id, kon, avslutade_till_resultat
    from ({{ rows_in_nightly_scope(ref('genomflode')) }}) as i_omfang
),

resultat as (
    select forbund, insats_id, period_typ, period_id, kon, avslutade_till_resultat
    from ({{ rows_in_nightly_scope(ref('resultat')) }}) as i_omfang
),

forsorjning as (
    select distinct forbund, insats_id, period_typ, period_id, kon
    from ({{ rows_in_nightly_scope(ref('forsorjning')) }}) as i_omfang
),

fordelning as (
    select distinct forbund, insats_id, period_typ, period_id, kon
    from ({{ rows_in_nightly_scope(ref('fordelning')) }}) as i_omfang
),

skillnader as (
    (
        select 'genomflode utan resultat' as skillnad, *
        from genomflode
        except
        select 'genomflode utan resultat', *
        from resultat
    )
    union all
    (select 'resultat utan genomflode', * from resultat except select 'resultat utan genomflode', * from genomflode)
    union all
    (
        select 'genomflode utan forsorjning', forbund, insats_id, period_typ, period_id, kon, null from genomflode
        except select 'genomflode utan forsorjning', *, null from forsorjning
    )
    union all
    (
        select 'fordelning utan genomflode', *, null from fordelning
        except select 'fordelning utan genomflode', forbund, insats_id, period_typ, period_id, kon, null from genomflode
    )
)

select * from skillnader
