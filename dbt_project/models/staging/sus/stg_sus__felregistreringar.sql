-- The episodes SUS marks as Felregistrering (registered by mistake). They exist for no measure;
-- this model only feeds the data-quality count of dropped episodes.
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
        deltagande_id,
        forbund,
        insats_id,
        startdatum,
        slutdatum,
        _source_file,
        _sha256,
        _row_number
    from episodes
    where ar_felregistrering
)

select * from final
