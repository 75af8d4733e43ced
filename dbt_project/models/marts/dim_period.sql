-- Every reporting period of docs/metrics/time.md (manad, kvartal, halvar, ar, rullande_12) from the month
-- of the first thing that happened (first insats start, first episode start, first anonymous
-- count, first felregistrering) to as_of. Periods starting after as_of are not produced.

{%- set as_of_date = as_of() %}

with

deltagare as (
    select * from {{ ref('stg_sus__deltagare') }}
),

felregistreringar as (
    select * from {{ ref('stg_sus__felregistreringar') }}
),

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

anonyma as (
    select * from {{ ref('stg_sus__anonyma') }}
),

-- the first day anything exists, never after as_of
forsta_dag as (
    select
        least(
            coalesce((select min(startdatum) from insatser), {{ as_of_date }}),
            coalesce((select min(startdatum) from deltagare), {{ as_of_date }}),
            coalesce((select min(startdatum) from felregistreringar), {{ as_of_date }}),
            coalesce((select make_date(min(ar)::integer, 1, 1) from anonyma), {{ as_of_date }}),
            {{ as_of_date }}
        ) as forsta_dag
),

manader as (
    select
        cast(unnest(generate_series(
            cast(date_trunc('month', forsta_dag) as date),
            cast(date_trunc('month', {{ as_of_date }}) as date),
            interval 1 month
        )) as date) as manad
    from forsta_dag
),

-- every period a month belongs to; a month belongs to exactly one period of each type
perioder as (
    select
        'manad' as period_typ,
        strftime(manad, '%Y-%m') as period_id,
        manad as period_start,
        last_day(manad) as period_slut
    from manader

    union all

    select
        'kvartal',
        strftime(manad, '%Y') || '-Q' || quarter(manad)::varchar,
        cast(date_trunc('quarter', manad) as date),
        last_day(cast(date_trunc('quarter', manad) as date) + interval 2 month)
    from manader

    union all

    select
        'halvar',
        strftime(manad, '%Y') || '-H' || (case when month(manad) <= 6 then 1 else 2 end)::varchar,
        make_date(year(manad), case when month(manad) <= 6 then 1 else 7 end, 1),
        last_day(make_date(year(manad), case when month(manad) <= 6 then 6 else 12 end, 1))
    from manader

    union all

    select
        'ar',
        strftime(manad, '%Y'),
        make_date(year(manad), 1, 1),
        make_date(year(manad), 12, 31)
    from manader

    union all

    select
        'rullande_12',
        strftime(cast(manad - interval 11 month as date), '%Y-%m') || '--' || strftime(manad, '%Y-%m'),
        cast(manad - interval 11 month as date),
        last_day(manad)
    from manader
),

final as (
    select distinct
        period_typ::varchar as period_typ,
        period_id::varchar as period_id,
        period_start::date as period_start,
        period_slut::date as period_slut,
        least(period_slut, {{ as_of_date }})::date as period_slut_as_of,
        (least(period_slut, {{ as_of_date }}) - period_start + 1)::integer as dagar_i_period,
        (period_slut <= {{ as_of_date }}) as is_complete,
        {{ as_of_date }}::date as as_of
    from perioder
)

select * from final
