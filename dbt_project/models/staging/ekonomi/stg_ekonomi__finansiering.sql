-- Who finances the förbund each year: the newest file's rows per (ar, forbund).

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
