-- In ekonomi, per förbund, insats and kostnadsslag: the months' utfall_period adds up to every
-- kvartal, halvar and ar that contains them; ackumulerat of every row is the months' utfall
-- from January through the row's last month; every period of a year carries the same budget.
-- A month without a row has no cost. Returns the rows that do not add up.

with

ekonomi as (
    select * from {{ ref('ekonomi') }}
),

manader as (
    select * from ekonomi where period_typ = 'manad'
),

jamforelse as (
    select
        rad.forbund,
        rad.insats_id,
        rad.kostnadsslag,
        rad.period_typ,
        rad.period_id,
        rad.utfall_period,
        rad.ackumulerat,
        rad.budget,
        coalesce(sum(manader.utfall_period) filter (
            where manader.period_start between rad.period_start and rad.period_slut
        ), 0) as summa_av_manader,
        coalesce(sum(manader.utfall_period) filter (
            where manader.period_start <= rad.period_slut
        ), 0) as summa_fran_januari,
        min(manader.budget) as minsta_budget,
        max(manader.budget) as storsta_budget
    -- in a nightly build the rows the night recomputed (macros/nightly_scope.sql): a row that
    -- had ended at the last build, of a förbund without new files, sums months that had ended
    -- too; and a year with a recomputed row compares every month's budget through that row
    from ({{ rows_in_nightly_scope(ref('ekonomi')) }}) as rad
    left join manader
        on rad.forbund = manader.forbund
        and rad.insats_id = manader.insats_id
        and rad.kostnadsslag = manader.kostnadsslag
        and rad.ar = manader.ar
    group by
        rad.forbund, rad.insats_id, rad.kostnadsslag, rad.period_typ, rad.period_id,
        rad.utfall_period, rad.ackumulerat, rad.budget
)

select *
from jamforelse
where abs(utfall_period - summa_av_manader) >= 0.005
    or abs(ackumulerat - summa_fran_januari) >= 0.005
    or budget <> coalesce(minsta_budget, budget)
    or budget <> coalesce(storsta_budget, budget)
