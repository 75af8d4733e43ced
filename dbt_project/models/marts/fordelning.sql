-- Distributions per insats, period, dimension, kategori and kon, as SUS' standard reports
-- show them: background over nyinskrivna, time in insats over avslutade till resultat, end
-- reason over avslutade. One episode counts once per category it has.

with

rader as (
    select * from {{ ref('int_insats_perioder') }}
),

-- the (episode, period) rows any distribution counts, read once from the view
deltagande_period as materialized (
    select deltagande_id, forbund, insats_id, period_typ, period_id, kon, nyinskriven, avslutad_till_resultat, avslutad
    from {{ ref('int_deltagande_period') }}
    where nyinskriven or avslutad
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

-- each episode once per period in which it belongs to a population
i_population as (
    select deltagande_id, forbund, insats_id, period_typ, period_id, kon, 'nyinskrivna' as population
    from deltagande_period
    where nyinskriven
    union all
    select deltagande_id, forbund, insats_id, period_typ, period_id, kon, 'avslutade_till_resultat'
    from deltagande_period
    where avslutad_till_resultat
    union all
    select deltagande_id, forbund, insats_id, period_typ, period_id, kon, 'avslutade'
    from deltagande_period
    where avslutad
),

-- an episode has one row per (period) in deltagande_period and one per (dimension, kategori)
-- in deltagande_kategori, so count(*) counts each episode once per category
summor as (
    select
        i_population.forbund,
        i_population.insats_id,
        i_population.period_typ,
        i_population.period_id,
        i_population.kon,
        deltagande_kategori.dimension,
        deltagande_kategori.kategori,
        count(*) as antal
    from i_population
    inner join populationer
        on i_population.population = populationer.population
    inner join deltagande_kategori
        on i_population.deltagande_id = deltagande_kategori.deltagande_id
        and populationer.dimension = deltagande_kategori.dimension
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
