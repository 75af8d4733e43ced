{#- For a VARCHAR[] column: every element is a `kod` of the given list in seeds/kodlistor.csv,
    spelled exactly as there, and no element is null. -#}
{% test accepted_codes_in_list(model, column_name, kodlista) %}
select element as okand_kod, count(*) as antal
from (select unnest({{ column_name }}) as element from {{ model }}) as elements
where element is null
    or element not in (
        select kod from {{ ref('kodlistor') }} where kodlista = '{{ kodlista }}'
    )
group by 1
{% endtest %}
