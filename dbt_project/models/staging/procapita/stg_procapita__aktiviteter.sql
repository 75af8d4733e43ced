-- Municipal labour-market activities: the newest Pro Capita export replaces older ones whole.
--
-- A new file of this kind makes the build full (pipelines/nightly_scope.py), so a night leaves
-- its rows as the last build checked them: its tests have no rows to check at night
-- (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': none}) }}

with

source as (
    {{ newest_file_rows(source('procapita', 'procapita_aktiviteter'), []) }}
),

final as (
    select
        -- person
        person_id,
        kon_personnummer as kon,
        fodelsedatum,

        -- activity
        aktivitet,
        nullif(trim(insats_id), '') as insats_id,
        beslutsdatum,
        startdatum,
        planerat_slutdatum,
        slutdatum,
        {{ normalise_code('status', 'aktivitetsstatus') }} as status,
        cast(planerade_timmar_per_vecka as double) as planerade_timmar_per_vecka,

        -- lineage
        _source_file
    from source
)

select * from final
