{#- Fails for every row where the boolean SQL expression is not true (false or null). May be
    attached to a model or to a column; the column only names where the test is listed. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
