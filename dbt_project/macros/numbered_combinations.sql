{#- The distinct combinations of `columns` in `relation`, each numbered 1, 2, … in the order of
    the columns, in `number_column`: a mart that sums many rows groups on these small integers
    instead of the texts and joins the texts back at the end (fordelning, forsorjning,
    forsorjning_overgang). A select, for use as a CTE. -#}
{% macro numbered_combinations(relation, columns, number_column) -%}
    select
        row_number() over (order by {{ columns | join(', ') }})::integer as {{ number_column }},
        {{ columns | join(', ') }}
    from (select distinct {{ columns | join(', ') }} from {{ relation }}) as kombinationer
{%- endmacro %}
