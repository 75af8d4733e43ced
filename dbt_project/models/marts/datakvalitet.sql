-- Data-quality figures per insats and period (no kon: SUS' Felregistrering rows are not
-- counted by sex here). felregistreringar = episodes registered with end reason
-- Felregistrering whose start date falls in the period; they exist for no other measure.

with

rader as (
    select distinct
        forbund, insats_id, period_typ, period_id, period_start, period_slut, period_slut_as_of
    from {{ ref('int_insats_perioder') }}
),

felregistreringar as (
    select * from {{ ref('stg_sus__felregistreringar') }}
),

summor as (
    select
        rader.forbund,
        rader.insats_id,
        rader.period_typ,
        rader.period_id,
        count(*) as felregistreringar
    from rader
    inner join felregistreringar
        on rader.forbund = felregistreringar.forbund
        and rader.insats_id = felregistreringar.insats_id
        and felregistreringar.startdatum between rader.period_start and rader.period_slut_as_of
    group by all
),

final as (
    select
        -- key
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        rader.period_start::date as period_start,
        rader.period_slut::date as period_slut,

        -- figures
        coalesce(summor.felregistreringar, 0)::bigint as felregistreringar

    from rader
    left join summor
        on rader.forbund = summor.forbund
        and rader.insats_id = summor.insats_id
        and rader.period_typ = summor.period_typ
        and rader.period_id = summor.period_id
)

select * from final
