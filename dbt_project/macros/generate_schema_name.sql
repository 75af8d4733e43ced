{#- Use the layer's schema name as it is (staging, intermediate, marts, seeds) instead of
    dbt's default "<target schema>_<custom schema>", so BI tools see `marts.genomflode`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
