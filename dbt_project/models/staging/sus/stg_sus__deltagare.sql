-- One row per deltagande (participant episode): the newest SUS file's rows per
-- (forbund, insats_id), codes in kodlistor's spelling, Felregistrering episodes removed.
--
-- At night only the rows of förbund with new files can change (a new file of this kind replaces
-- rows of the förbund in it): its tests check those (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': 'forbund'}) }}

with

episodes as (
    select * from {{ ref('base_sus__deltagare') }}
),

final as (
    select
        -- ids
        deltagande_id,
        forbund,
        insats_id,
        insatsnamn,
        person_id,

        -- person
        fodelsedatum,
        kon,

        -- episode
        startdatum,
        slutdatum,
        avslutsanledning,
        sysselsattning_efter,

        -- income sources and background
        forsorjning_fore,
        forsorjning_efter,
        tid_i_offentlig_forsorjning,
        utbildningsniva,
        remittent,

        -- lineage
        _source_file,
        _sha256,
        _row_number
    from episodes
    where not ar_felregistrering
)

select * from final
