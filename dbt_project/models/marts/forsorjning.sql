-- Income sources before and after, per insats, period, kon and source, over the episodes that
-- ended in the period (SUS Försörjningsförändringar). An episode with two sources counts under
-- both; one with no source registered counts under `Uppgift saknas`.
--
-- How it counts: an episode is avslutad in the periods that contain its end month
-- (int_period_manader), the episodes int_deltagande_period flags avslutad. So each ended
-- episode is counted once, in its end month, per source; the months are summed to the periods
-- on small integer keys (as in fordelning).

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
    select * from {{ ref('int_kategorier') }}
),

period_manader as (
    select * from {{ ref('int_period_manader') }}
),

kallor as (
    select
        row_number() over (order by forsorjningskalla)::integer as kalla_nr,
        forsorjningskalla,
        sortering
    from (
        select kategori as forsorjningskalla, min(sortering) as sortering
        from kategorier
        where dimension in ('forsorjning_fore', 'forsorjning_efter')
        group by all
    ) as kallor
),

-- numbers for the sums: (förbund, insats, kon) and period
insats_kon as (
    {{ numbered_combinations('rader', ['forbund', 'insats_id', 'kon'], 'insats_kon_nr') }}
),

perioder as (
    select distinct period_nr, period_typ, period_id
    from period_manader
),

-- the ended episodes per source before and after, in their end month
per_manad as (
    select
        insats_kon.insats_kon_nr,
        kallor.kalla_nr,
        cast(date_trunc('month', deltagande.slutdatum) as date) as manad,
        count(*) filter (where deltagande_kategori.dimension = 'forsorjning_fore') as antal_fore,
        count(*) filter (where deltagande_kategori.dimension = 'forsorjning_efter') as antal_efter
    from deltagande
    inner join insats_kon
        on deltagande.forbund = insats_kon.forbund
        and deltagande.insats_id = insats_kon.insats_id
        and deltagande.kon = insats_kon.kon
    inner join deltagande_kategori
        on deltagande.deltagande_id = deltagande_kategori.deltagande_id
        and deltagande_kategori.dimension in ('forsorjning_fore', 'forsorjning_efter')
    inner join kallor
        on deltagande_kategori.kategori = kallor.forsorjningskalla
    where deltagande.ar_avslutad
    group by all
),

-- a period's count is the sum of its months'
summor as (
    select
        per_manad.insats_kon_nr,
        period_manader.period_nr,
        per_manad.kalla_nr,
        sum(per_manad.antal_fore) as antal_fore,
        sum(per_manad.antal_efter) as antal_efter
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
    inner join insats_kon
        on rader.forbund = insats_kon.forbund
        and rader.insats_id = insats_kon.insats_id
        and rader.kon = insats_kon.kon
    inner join perioder
        on rader.period_typ = perioder.period_typ
        and rader.period_id = perioder.period_id
    cross join kallor
    left join summor
        on insats_kon.insats_kon_nr = summor.insats_kon_nr
        and perioder.period_nr = summor.period_nr
        and kallor.kalla_nr = summor.kalla_nr
)

select * from final
where {{ in_nightly_scope('forbund', 'period_slut') }}
