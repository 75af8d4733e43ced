-- Who finances each förbund each year: Σ belopp per (förbund, år, finansiär) from
-- stg_ekonomi__finansiering and its share of the förbund's total for the year. FINSAM's rule
-- (the state through Försäkringskassan and Arbetsförmedlingen 1/2, the region 1/4, the
-- kommuner 1/4) can be checked on `part`. A year that starts after as_of does not exist.

with

finansiering as (
    select * from {{ ref('stg_ekonomi__finansiering') }}
    where make_date(ar, 1, 1) <= {{ as_of() }}
),

per_finansiar as (
    select forbund, ar, trim(finansiar) as finansiar, sum(belopp) as belopp
    from finansiering
    group by all
),

final as (
    select
        -- key
        forbund::varchar as forbund,
        ar::integer as ar,
        finansiar::varchar as finansiar,
        'ar'::varchar as period_typ,
        ar::varchar as period_id,
        make_date(ar, 1, 1)::date as period_start,
        make_date(ar, 12, 31)::date as period_slut,

        -- the member's kind
        case
            when lower(finansiar) in ('försäkringskassan', 'arbetsförmedlingen') then 'stat'
            when lower(finansiar) like 'region%' or lower(finansiar) like '%landsting%' then 'region'
            else 'kommun'
        end::varchar as part,

        -- money
        belopp::double as belopp,
        (sum(belopp) over (partition by forbund, ar))::double as belopp_totalt,
        (belopp / nullif(sum(belopp) over (partition by forbund, ar), 0))::double as andel
    from per_finansiar
)

select * from final
