-- Comparison between förbund: each förbund's measure for a halvår or år, recomputed from the
-- sums over all its insatser (int_jamforelse_summor), beside the median, quartiles, count and
-- rank over every förbund in the warehouse with a value for that period and measure. A zero
-- denominator gives no value, and a förbund without a value is left out of the statistics.

with

summor as (
    select * from {{ ref('int_jamforelse_summor') }}
),

perioder as (
    select * from {{ ref('dim_period') }}
),

varden as (
    select
        *,
        taljare / nullif(namnare, 0) as varde
    from summor
),

statistik as (
    select
        *,
        count(varde) over per_matt as antal_forbund,
        quantile_cont(varde, 0.5) over per_matt as median,
        quantile_cont(varde, 0.25) over per_matt as p25,
        quantile_cont(varde, 0.75) over per_matt as p75,
        -- highest = 1, ties share a rank; a förbund without a value gets none and, sorted last,
        -- moves no one else's
        case
            when
                varde is not null
                then rank() over (partition by period_typ, period_id, matt order by varde desc nulls last)
        end as rang
    from varden
    window per_matt as (partition by period_typ, period_id, matt)
),

final as (
    select
        -- key
        statistik.forbund::varchar as forbund,
        statistik.period_typ::varchar as period_typ,
        statistik.period_id::varchar as period_id,
        statistik.matt::varchar as matt,
        perioder.period_start::date as period_start,
        perioder.period_slut::date as period_slut,

        -- the förbund's own measure and the sums behind it
        statistik.taljare::double as taljare,
        statistik.namnare::double as namnare,
        statistik.varde::double as varde,

        -- over every förbund with a value
        statistik.antal_forbund::integer as antal_forbund,
        statistik.median::double as median,
        statistik.p25::double as p25,
        statistik.p75::double as p75,
        statistik.rang::integer as rang
    from statistik
    inner join perioder
        on statistik.period_typ = perioder.period_typ
        and statistik.period_id = perioder.period_id
)

select * from final
