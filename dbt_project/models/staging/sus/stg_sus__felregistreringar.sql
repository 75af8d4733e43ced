-- The episodes SUS marks as Felregistrering (registered by mistake). They exist for no measure;
-- this model only feeds the data-quality count of dropped episodes.

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
