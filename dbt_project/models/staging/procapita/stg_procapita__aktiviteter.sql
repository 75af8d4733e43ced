-- Municipal labour-market activities: the newest Pro Capita export replaces older ones whole.

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
