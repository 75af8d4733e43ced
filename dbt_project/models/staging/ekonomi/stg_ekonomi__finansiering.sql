-- Who finances the förbund each year: the newest file's rows per (ar, forbund).
--
-- At night only the rows of förbund with new files can change (a new file of this kind replaces
-- rows of the förbund in it): its tests check those (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': 'forbund'}) }}

with

source as (
    {{ newest_file_rows(source('ekonomi', 'finansiering'), ['ar', 'forbund']) }}
),

final as (
    select
        cast(ar as integer) as ar,
        forbund,
        finansiar,
        cast(belopp as {{ belopp_typ() }}) as belopp,

        -- lineage
        _source_file
    from source
)

select * from final
