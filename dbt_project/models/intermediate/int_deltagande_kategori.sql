-- One row per deltagande, dimension and kategori: the categories SUS' distribution reports
-- count an episode under. Codes are matched to seeds/kodlistor.csv case-insensitively and
-- spelled as there, so `gymnasium` and `Gymnasium` are one category; an empty value is
-- `Uppgift saknas`. Multi-valued fields (försörjning) give one row per distinct source.
-- Which episodes a distribution counts (nyinskrivna, avslutade, ...) is the mart's grain.
--
-- Incremental: a night recomputes the episodes of changed förbund and those that started or
-- ended since the last build; an episode's categories depend on nothing else
-- (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'unique_key': 'deltagande_id'},
) }}

with

deltagande as (
    {{ nightly_episode_rows(ref('int_deltagande'), ['startdatum', 'slutdatum_registrerat']) }}
),

kodlistor as (
    select * from {{ ref('kodlistor') }}
),

-- (episode, dimension, code list, raw value); bands carry their own order
varden as (
    select
        deltagande_id, forbund, 'utbildningsniva' as dimension, 'utbildningsniva' as kodlista,
        utbildningsniva as varde, null::integer as bandsortering
    from deltagande
    union all
    select
        deltagande_id, forbund, 'tid_i_offentlig_forsorjning', 'tid_i_offentlig_forsorjning',
        tid_i_offentlig_forsorjning, null
    from deltagande
    union all
    select deltagande_id, forbund, 'remittent', 'remittent', remittent, null
    from deltagande
    union all
    select
        deltagande_id, forbund, 'forsorjning_fore', 'forsorjning', unnest(
            case when len(coalesce(forsorjning_fore, [])) = 0 then [null::varchar] else forsorjning_fore end
        ), null
    from deltagande
    union all
    select
        deltagande_id, forbund, 'forsorjning_efter', 'forsorjning', unnest(
            case when len(coalesce(forsorjning_efter, [])) = 0 then [null::varchar] else forsorjning_efter end
        ), null
    from deltagande
    where ar_avslutad
    union all
    select deltagande_id, forbund, 'avslutsanledning', 'avslutsanledning', avslutsanledning, null
    from deltagande
    where ar_avslutad
    union all
    select deltagande_id, forbund, 'aldersgrupp', null, aldersgrupp, aldersgrupp_sortering
    from deltagande
    union all
    select deltagande_id, forbund, 'tid_i_insats', null, tid_i_insats, tid_i_insats_sortering
    from deltagande
    where ar_avslutad
),

kategoriserade as (
    select
        varden.deltagande_id,
        varden.forbund,
        varden.dimension,
        coalesce(kodlistor.kod, nullif(trim(varden.varde), ''), 'Uppgift saknas') as kategori,
        case
            when nullif(trim(varden.varde), '') is null then 9999
            else coalesce(varden.bandsortering, kodlistor.sortering, 9998)
        end as sortering
    from varden
    left join kodlistor
        on varden.kodlista = kodlistor.kodlista
        and lower(kodlistor.kod) = lower(trim(varden.varde))
),

final as (
    select distinct
        deltagande_id,
        forbund::varchar as forbund,
        dimension::varchar as dimension,
        kategori::varchar as kategori,
        sortering::integer as sortering
    from kategoriserade
)

select * from final
