-- The months of every period of dim_period, up to as_of, with a number per period.
--
-- Every period starts on the first of a month and ends on a month's last day, or on as_of when
-- that comes first; nothing counted happens after as_of. So a date on or before as_of lies in a
-- period exactly when its month is one of the period's months, and a count of events per
-- month (episodes started, ended) adds up to the count of any period. Marts that count events
-- over many periods count them per month once and sum the months (fordelning, forsorjning,
-- aktivitet): a join on a month, not a date range per event and period.
-- period_nr numbers the periods within one build, so that large sums group by small integers.

with

perioder as (
    select
        dense_rank() over (order by period_typ, period_id)::integer as period_nr,
        *
    from {{ ref('dim_period') }}
),

final as (
    select
        period_nr,
        period_typ,
        period_id,
        period_slut,
        cast(unnest(generate_series(
            period_start,
            cast(date_trunc('month', period_slut_as_of) as date),
            interval 1 month
        )) as date) as manad
    from perioder
)

select * from final
