-- Income sources before and after, per insats, period, kon and source, over the episodes that
-- ended in the period (SUS Försörjningsförändringar). An episode with two sources counts under
-- both; one with no source registered counts under `Uppgift saknas`.

with

rader as (
    select * from {{ ref('int_insats_perioder') }}
),

deltagande_period as (
    select * from {{ ref('int_deltagande_period') }}
),

deltagande_kategori as (
    select * from {{ ref('int_deltagande_kategori') }}
),

kategorier as (
    select * from {{ ref('int_kategorier') }}
),

kallor as (
    select kategori as forsorjningskalla, min(sortering) as sortering
    from kategorier
    where dimension in ('forsorjning_fore', 'forsorjning_efter')
    group by all
),

summor as (
    select
        deltagande_period.forbund,
        deltagande_period.insats_id,
        deltagande_period.period_typ,
        deltagande_period.period_id,
        deltagande_period.kon,
        deltagande_kategori.kategori as forsorjningskalla,
        -- one row per (episode, period) and per (episode, dimension, source): count(*) counts each
        -- episode once per source
        count(*) filter (where deltagande_kategori.dimension = 'forsorjning_fore') as antal_fore,
        count(*) filter (where deltagande_kategori.dimension = 'forsorjning_efter') as antal_efter
    from deltagande_period
    inner join deltagande_kategori
        on deltagande_period.deltagande_id = deltagande_kategori.deltagande_id
        and deltagande_kategori.dimension in ('forsorjning_fore', 'forsorjning_efter')
    where deltagande_period.avslutad
    group by all
),

final as (
    select
        -- key
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        kallor.forsorjningskalla::varchar as forsorjningskalla,
        rader.kon::varchar as kon,
        rader.period_start::date as period_start,
        rader.period_slut::date as period_slut,
        kallor.sortering::integer as sortering,

        -- before and after
        coalesce(summor.antal_fore, 0)::bigint as antal_fore,
        coalesce(summor.antal_efter, 0)::bigint as antal_efter,
        (coalesce(summor.antal_efter, 0) - coalesce(summor.antal_fore, 0))::bigint as forandring,
        (
            100.0 * (coalesce(summor.antal_efter, 0) - summor.antal_fore) / nullif(summor.antal_fore, 0)
        )::double as forandring_pct

    from rader
    cross join kallor
    left join summor
        on rader.forbund = summor.forbund
        and rader.insats_id = summor.insats_id
        and rader.period_typ = summor.period_typ
        and rader.period_id = summor.period_id
        and rader.kon = summor.kon
        and kallor.forsorjningskalla = summor.forsorjningskalla
)

select * from final
