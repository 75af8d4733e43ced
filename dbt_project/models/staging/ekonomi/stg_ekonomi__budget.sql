-- The decided yearly budget per förbund, insats and kostnadsslag: the newest file's rows per
-- (ar, forbund). An empty Insats-ID is the förbund's own administration, '(förbund)'.
--
-- At night only the rows of förbund with new files can change (a new file of this kind replaces
-- rows of the förbund in it): its tests check those (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': 'forbund'}) }}

with

source as (
    {{ newest_file_rows(source('ekonomi', 'budget'), ['ar', 'forbund']) }}
),

final as (
    select
        cast(ar as integer) as ar,
        forbund,
        coalesce(nullif(trim(insats_id), ''), '(förbund)') as insats_id,
        {{ normalise_code('kostnadsslag', 'kostnadsslag') }} as kostnadsslag,
        cast(belopp as {{ belopp_typ() }}) as belopp,

        -- lineage
        _source_file
    from source
)

select * from final
