-- Yearly counts of anonymous participants per insats and sex: the newest file's rows per
-- (ar, forbund).
--
-- At night only the rows of förbund with new files can change (a new file of this kind replaces
-- rows of the förbund in it): its tests check those (macros/nightly_scope.sql).
{{ config(nightly_scope={'forbund': 'forbund'}) }}

with

source as (
    {{ newest_file_rows(source('sus', 'sus_anonyma'), ['ar', 'forbund']) }}
),

final as (
    select
        cast(ar as integer) as ar,
        forbund,
        insats_id,
        cast(kvinnor as integer) as kvinnor,
        cast(man as integer) as man,

        -- lineage
        _source_file
    from source
)

select * from final
