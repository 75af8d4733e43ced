-- Distributions per insats, period, dimension, kategori and kon, as SUS' standard reports
-- show them: background over nyinskrivna, time in insats over avslutade till resultat, end
-- reason over avslutade. One episode counts once per category it has.

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

-- which episodes of the period each distribution counts
populationer as (
    select * from (values
        ('aldersgrupp', 'nyinskrivna'),
        ('utbildningsniva', 'nyinskrivna'),
        ('tid_i_offentlig_forsorjning', 'nyinskrivna'),
        ('forsorjning_fore', 'nyinskrivna'),
        ('remittent', 'nyinskrivna'),
        ('tid_i_insats', 'avslutade_till_resultat'),
        ('avslutsanledning', 'avslutade')
    ) as t (dimension, population)
),

summor as (
    select
        deltagande_period.forbund,
        deltagande_period.insats_id,
        deltagande_period.period_typ,
        deltagande_period.period_id,
        deltagande_period.kon,
        deltagande_kategori.dimension,
        deltagande_kategori.kategori,
        count(distinct deltagande_period.deltagande_id) as antal
    from deltagande_period
    inner join deltagande_kategori
        on deltagande_period.deltagande_id = deltagande_kategori.deltagande_id
    inner join populationer
        on deltagande_kategori.dimension = populationer.dimension
    where
        (populationer.population = 'nyinskrivna' and deltagande_period.nyinskriven)
        or (populationer.population = 'avslutade_till_resultat' and deltagande_period.avslutad_till_resultat)
        or (populationer.population = 'avslutade' and deltagande_period.avslutad)
    group by all
),

final as (
    select
        -- key
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        kategorier.dimension::varchar as dimension,
        kategorier.kategori::varchar as kategori,
        rader.kon::varchar as kon,
        rader.period_start::date as period_start,
        rader.period_slut::date as period_slut,
        populationer.population::varchar as population,
        kategorier.sortering::integer as sortering,

        -- count
        coalesce(summor.antal, 0)::bigint as antal

    from rader
    cross join kategorier
    inner join populationer
        on kategorier.dimension = populationer.dimension
    left join summor
        on rader.forbund = summor.forbund
        and rader.insats_id = summor.insats_id
        and rader.period_typ = summor.period_typ
        and rader.period_id = summor.period_id
        and rader.kon = summor.kon
        and kategorier.dimension = summor.dimension
        and kategorier.kategori = summor.kategori
)

select * from final
