-- Distributions per insats, period, dimension, kategori and kon, as SUS' standard reports
-- show them: background over nyinskrivna, time in insats over avslutade till resultat, end
-- reason over avslutade. One episode counts once per category it has.
--
-- How it counts (at national scale 1 M episodes in, 39 M rows out): an episode is nyinskriven
-- in the periods that contain its start month and avslutad in those that contain its end month
-- (int_period_manader) -- the very episodes int_deltagande_period flags and genomflode counts
-- (test assert_fordelning_summerar_till_genomflode). So each episode is counted once, in its
-- month, per category; the months are summed to the periods on small integer keys; and only
-- the final rows, zeros included, get their names.

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
    on_schema_change='fail',
) }}

with

rader as (
    {{ nightly_scope_rows(ref('int_insats_perioder'), 'forbund', period_slut='period_slut') }}
),

deltagande as (
    {{ nightly_scope_rows(ref('int_deltagande'), 'forbund', active_until='slutdatum') }}
),

deltagande_kategori as (
    select * from {{ ref('int_deltagande_kategori') }}
),

kategorier as (
    select * from {{ ref('dim_kategori') }}
),

period_manader as (
    select * from {{ ref('int_period_manader') }}
),

-- numbers for the sums: (förbund, insats, kon), category, period
insats_kon as (
    {{ numbered_combinations('rader', ['forbund', 'insats_id', 'kon'], 'insats_kon_nr') }}
),

kategori_nr as (
    select
        row_number() over (order by dimension, kategori)::integer as kategori_nr,
        dimension,
        kategori,
        sortering,
        population
    from kategorier
),

perioder as (
    select distinct period_nr, period_typ, period_id
    from period_manader
),

-- the episodes of each population per category, in the month they joined it
per_manad as (
    select
        insats_kon.insats_kon_nr,
        kategori_nr.kategori_nr,
        cast(date_trunc(
            'month',
            case when kategori_nr.population = 'nyinskrivna' then deltagande.startdatum else deltagande.slutdatum end
        ) as date) as manad,
        count(*) as antal
    from deltagande
    inner join insats_kon
        on deltagande.forbund = insats_kon.forbund
        and deltagande.insats_id = insats_kon.insats_id
        and deltagande.kon = insats_kon.kon
    inner join deltagande_kategori
        on deltagande.deltagande_id = deltagande_kategori.deltagande_id
    inner join kategori_nr
        on deltagande_kategori.dimension = kategori_nr.dimension
        and deltagande_kategori.kategori = kategori_nr.kategori
    where kategori_nr.population = 'nyinskrivna'
        or (kategori_nr.population = 'avslutade' and deltagande.ar_avslutad)
        or (kategori_nr.population = 'avslutade_till_resultat' and deltagande.till_resultat)
    group by all
),

-- a period's count is the sum of its months'
summor as (
    select
        per_manad.insats_kon_nr,
        period_manader.period_nr,
        per_manad.kategori_nr,
        sum(per_manad.antal) as antal
    from per_manad
    inner join period_manader
        on per_manad.manad = period_manader.manad
    inner join insats_kon
        on per_manad.insats_kon_nr = insats_kon.insats_kon_nr
    -- in a night, only the sums of rows in scope: the final select keeps no other
    where {{ in_nightly_scope('insats_kon.forbund', 'period_manader.period_slut') }}
    group by all
),

final as (
    select
        -- key
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        kategori_nr.dimension::varchar as dimension,
        kategori_nr.kategori::varchar as kategori,
        rader.kon::varchar as kon,
        rader.period_start::date as period_start,
        rader.period_slut::date as period_slut,
        kategori_nr.population::varchar as population,
        kategori_nr.sortering::integer as sortering,

        -- count
        summor.antal::bigint as antal

    from summor
    inner join insats_kon
        on summor.insats_kon_nr = insats_kon.insats_kon_nr
    inner join perioder
        on summor.period_nr = perioder.period_nr
    inner join kategori_nr
        on summor.kategori_nr = kategori_nr.kategori_nr
    -- only the periods in which the insats ran (an episode outside them has no row anywhere)
    inner join rader
        on insats_kon.forbund = rader.forbund
        and insats_kon.insats_id = rader.insats_id
        and insats_kon.kon = rader.kon
        and perioder.period_typ = rader.period_typ
        and perioder.period_id = rader.period_id
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
