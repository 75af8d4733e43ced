-- Every category a distribution of fordelning can take, present in the data or not, with its
-- order and the population it counts. fordelning holds only non-zero rows; a chart or table
-- that should show the empty categories too cross joins this dimension (the report does).

with

kategorier as (
    select * from {{ ref('int_kategorier') }}
),

dimensioner as (
    select * from {{ ref('fordelning_dimensioner') }}
),

final as (
    select
        kategorier.dimension::varchar as dimension,
        kategorier.kategori::varchar as kategori,
        kategorier.sortering::integer as sortering,
        dimensioner.population::varchar as population
    from kategorier
    inner join dimensioner
        on kategorier.dimension = dimensioner.dimension
)

select * from final
