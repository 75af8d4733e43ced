-- Processtrappa measurements: one row per episode (person_id, insats_id, startdatum) and
-- mattillfalle, from the newest file per insats_id.
--
-- A new file of this kind makes the build full (pipelines/nightly_scope.py), so a night leaves
-- its rows as the last build checked them: its tests have no rows to check at night
-- (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': none}) }}

with

source as (
    {{ newest_file_rows(source('forbund', 'stegmatning'), ['insats_id']) }}
),

processtrappa as (
    select * from {{ ref('processtrappa') }}
),

final as (
    select
        -- episode
        source.person_id,
        source.insats_id,
        source.startdatum,

        -- measurement
        {{ normalise_code('mattillfalle', 'mattillfalle') }} as mattillfalle,
        cast(source.steg as integer) as steg,
        processtrappa.namn as steg_namn,

        -- lineage
        source._source_file
    from source
    left join processtrappa on source.steg = processtrappa.steg
)

select * from final
