-- Stocks chain: a month's inskrivna_vid_periodslut is the next month's inskrivna_vid_periodstart,
-- and a longer period starts with its first month's stock and ends with its last month's
-- (the last one that exists at as_of), per förbund, insats and kon. A month without a row has a
-- stock of zero. Returns the breaks.
-- Shown in Dagster as an asset check on genomflode (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'genomflode'}}}) }}

with

genomflode as (
    select * from {{ ref('genomflode') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

manader as (
    select * from genomflode where period_typ = 'manad'
),

alla_manader as (
    select * from perioder where period_typ = 'manad'
),

manad_till_manad as (
    select
        'manad till nasta manad' as kontroll,
        forra.forbund,
        forra.insats_id,
        forra.kon,
        forra.period_id,
        forra.inskrivna_vid_periodslut as forvantat,
        coalesce(nasta.inskrivna_vid_periodstart, 0) as faktiskt
    -- in a nightly build the months the night recomputed and the month before each
    -- (macros/nightly_scope.sql; two months back, since a month is not a fixed interval): a
    -- pair of months that had both ended at the last build, of a förbund without new files,
    -- chains as it did then
    from ({{ rows_in_nightly_scope(ref('genomflode'), 2) }}) as forra
    inner join alla_manader as nasta_manad
        on nasta_manad.period_start = forra.period_slut + 1
    left join manader as nasta
        on forra.forbund = nasta.forbund
        and forra.insats_id = nasta.insats_id
        and forra.kon = nasta.kon
        and nasta_manad.period_id = nasta.period_id
    where forra.period_typ = 'manad'
),

granser as (
    select
        langre.*,
        forsta.period_id as forsta_manad,
        (
            select max_by(m.period_id, m.period_start) from alla_manader as m
            where m.period_start between langre.period_start and langre.period_slut
        ) as sista_manad
    -- in a nightly build the longer periods the night recomputed: one that had ended at the last
    -- build, of a förbund without new files, has only months that had ended too
    from ({{ rows_in_nightly_scope(ref('genomflode')) }}) as langre
    -- a rolling year may start before the first month there is; it has no first month to compare
    inner join alla_manader as forsta
        on langre.period_start = forsta.period_start
    where langre.period_typ <> 'manad'
),

forsta_och_sista as (
    select
        'start och slut som forsta och sista manaden' as kontroll,
        granser.forbund,
        granser.insats_id,
        granser.kon,
        granser.period_id,
        [granser.inskrivna_vid_periodstart, granser.inskrivna_vid_periodslut]::varchar as forvantat,
        [coalesce(forsta.inskrivna_vid_periodstart, 0), coalesce(sista.inskrivna_vid_periodslut, 0)]::varchar
            as faktiskt
    from granser
    left join manader as forsta
        on granser.forbund = forsta.forbund
        and granser.insats_id = forsta.insats_id
        and granser.kon = forsta.kon
        and granser.forsta_manad = forsta.period_id
    left join manader as sista
        on granser.forbund = sista.forbund
        and granser.insats_id = sista.insats_id
        and granser.kon = sista.kon
        and granser.sista_manad = sista.period_id
)

select kontroll, forbund, insats_id, kon, period_id, forvantat::varchar as forvantat, faktiskt::varchar as faktiskt
from manad_till_manad
where forvantat <> faktiskt
union all
select * from forsta_och_sista
where forvantat <> faktiskt
