-- The insats register: one row per insats, from the newest register file of each förbund.
-- Defaults of the register spec are applied here too, so a row never lacks them.
--
-- A new file of this kind makes the build full (pipelines/nightly_scope.py), so a night leaves
-- its rows as the last build checked them: its tests have no rows to check at night
-- (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': none}) }}

with

source as (
    {{ newest_file_rows(source('forbund', 'insatser'), ['forbund']) }}
),

normalised as (
    select
        forbund,
        insats_id,
        insatsnamn,
        startdatum,
        slutdatum,
        cast(arsplatser as double) as arsplatser,
        cast(coalesce(provotid_dagar, 90) as integer) as provotid_dagar,
        {{ normalise_code_list('malutfall', 'utfall') }} as malutfall_angivet,
        cast(budgeterat_antal_deltagare as integer) as budgeterat_antal_deltagare,
        nullif(trim(inriktning), '') as inriktning,
        nullif(trim(malgrupp), '') as malgrupp,
        _source_file
    from source
),

final as (
    select
        -- ids
        forbund,
        insats_id,
        insatsnamn,

        -- lifetime and capacity
        startdatum,
        slutdatum,
        arsplatser,
        provotid_dagar,

        -- goal set
        case
            when len(malutfall_angivet) = 0
                then cast(['arbete', 'studier', 'arbetslivsinriktad_rehab'] as varchar[])
            else malutfall_angivet
        end as malutfall,

        -- the yearly registration's descriptors (optional columns; null when not given)
        budgeterat_antal_deltagare,
        inriktning,
        malgrupp,

        -- lineage
        _source_file
    from normalised
)

select * from final
