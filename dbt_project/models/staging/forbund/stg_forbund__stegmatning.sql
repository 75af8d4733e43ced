-- Processtrappa measurements: one row per episode (person_id, insats_id, startdatum) and
-- mattillfalle, from the newest file per insats_id.

with

source as (
    {{ newest_file_rows(source('forbund', 'stegmatning'), ['insats_id']) }}
),

final as (
    select
        -- episode
        person_id,
        insats_id,
        startdatum,

        -- measurement
        {{ normalise_code('mattillfalle', 'mattillfalle') }} as mattillfalle,
        cast(steg as integer) as steg,

        -- lineage
        _source_file
    from source
)

select * from final
