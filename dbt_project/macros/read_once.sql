{#- `reader()`'s answer, asked once per dbt invocation and kept under `name`: for state the
    pipeline writes into the warehouse before dbt starts and nothing changes while dbt runs (the
    nightly scope, as_of), which hundreds of models and tests ask for. Kept in `graph`, the one
    object every node's context shares within an invocation; each dbt command builds it anew. -#}
{% macro read_once(name, reader) -%}
    {%- set cache = graph.setdefault('finsam_read_once', {}) -%}
    {%- if name not in cache -%}
        {%- do cache.update({name: reader()}) -%}
    {%- endif -%}
    {{ return(cache[name]) }}
{%- endmacro %}
