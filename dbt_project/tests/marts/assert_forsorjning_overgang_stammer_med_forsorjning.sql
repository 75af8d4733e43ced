-- forsorjning_overgang splits forsorjning's ended episodes by pairs of sources. For each insats,
-- period, kon and income source f before: every episode forsorjning counts under f appears in
-- the row of f at least once (Σ over utfall and after-sources >= antal_fore), and no cell of
-- that row holds more episodes than had f (per after-source, Σ over utfall <= antal_fore).
-- The same for the sources after. A source forsorjning does not count therefore has no cell.
-- Returns the sources that break either bound.
-- In a nightly build it checks the rows the night recomputed (macros/nightly_scope.sql).
-- Shown in Dagster as an asset check on forsorjning_overgang (it reads two models).
{{ config(meta={'dagster': {'ref': {'name': 'forsorjning_overgang'}}}) }}

with

forsorjning as (
    select * from ({{ rows_in_nightly_scope(ref('forsorjning')) }}) as i_omfang
    where antal_fore > 0 or antal_efter > 0
),

overgang as (
    {{ rows_in_nightly_scope(ref('forsorjning_overgang')) }}
),

-- Σ over utfall: one cell per (före, efter) pair
celler as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        kon,
        forsorjning_fore,
        forsorjning_efter,
        sum(antal) as antal
    from overgang
    group by all
),

-- per side: the source, Σ of its cells and its largest cell over the other side (both sides
-- from the one aggregate above, in one pass over it)
sidor as (
    select
        case when grouping(forsorjning_fore) = 0 then 'fore' else 'efter' end as sida,
        forbund,
        insats_id,
        period_typ,
        period_id,
        kon,
        case when grouping(forsorjning_fore) = 0 then forsorjning_fore else forsorjning_efter end as kalla,
        sum(antal) as summa,
        max(antal) as storsta
    from celler
    group by grouping sets (
        (forbund, insats_id, period_typ, period_id, kon, forsorjning_fore),
        (forbund, insats_id, period_typ, period_id, kon, forsorjning_efter)
    )
),

forsorjning_sidor as (
    select
        'fore' as sida, forbund, insats_id, period_typ, period_id, kon, forsorjningskalla as kalla, antal_fore as antal
    from forsorjning
    where antal_fore > 0
    union all
    select
        'efter' as sida,
        forbund,
        insats_id,
        period_typ,
        period_id,
        kon,
        forsorjningskalla as kalla,
        antal_efter as antal
    from forsorjning
    where antal_efter > 0
)

select
    coalesce(forsorjning_sidor.sida, sidor.sida) as sida,
    coalesce(forsorjning_sidor.forbund, sidor.forbund) as forbund,
    coalesce(forsorjning_sidor.insats_id, sidor.insats_id) as insats_id,
    coalesce(forsorjning_sidor.period_typ, sidor.period_typ) as period_typ,
    coalesce(forsorjning_sidor.period_id, sidor.period_id) as period_id,
    coalesce(forsorjning_sidor.kon, sidor.kon) as kon,
    coalesce(forsorjning_sidor.kalla, sidor.kalla) as kalla,
    forsorjning_sidor.antal as forsorjning_antal,
    sidor.summa as overgang_summa,
    sidor.storsta as overgang_storsta_cell
from forsorjning_sidor
full outer join sidor
    using (sida, forbund, insats_id, period_typ, period_id, kon, kalla)
where coalesce(sidor.summa, 0) < coalesce(forsorjning_sidor.antal, 0)
    or coalesce(sidor.storsta, 0) > coalesce(forsorjning_sidor.antal, 0)
