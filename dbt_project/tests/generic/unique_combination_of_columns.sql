{#- Fails for every combination of the given columns (or SQL expressions) that occurs more
    than once. Use for grains of more than one column. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as antal
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
