{#- The run's data date as a DATE literal: var('as_of') when given, else today. -#}
{% macro as_of() -%}
    {%- if var('as_of') -%}cast('{{ var("as_of") }}' as date){%- else -%}current_date{%- endif -%}
{%- endmacro %}
