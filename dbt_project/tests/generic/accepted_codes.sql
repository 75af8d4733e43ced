{#- Every non-null value of the column is a `kod` of the given list in seeds/kodlistor.csv,
    spelled exactly as there (staging normalises case, so a miss means an unknown code). -#}
{% test accepted_codes(model, column_name, kodlista) %}
select {{ column_name }} as okand_kod, count(*) as antal
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select kod from {{ ref('kodlistor') }} where kodlista = '{{ kodlista }}'
    )
group by 1
{% endtest %}
