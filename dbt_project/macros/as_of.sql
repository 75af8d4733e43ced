{#- The run's data date as a DATE literal: var('as_of') when given; else the as_of the pipeline
    wrote into pipeline_state.run_as_of for this build (pipelines/nightly_scope.py), read when
    the model runs, so that the date is no dbt var and dbt's partial parsing holds from one night
    to the next; else (a warehouse the pipeline never built) today. Each call reads the
    warehouse, so a model that needs it more than once sets it once:
    `{%- set as_of_date = as_of() %}`. -#}
{% macro as_of() -%}
    {%- if var('as_of') -%}
        cast('{{ var("as_of") }}' as date)
    {%- elif execute and run_as_of() -%}
        cast('{{ run_as_of() }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}


{% macro run_as_of() -%}
    {{ return(read_once('run_as_of', read_run_as_of)) }}
{%- endmacro %}


{% macro read_run_as_of() -%}
    {%- set found = run_query(
        "select count(*) from information_schema.tables "
        ~ "where table_schema = 'pipeline_state' and table_name = 'run_as_of'"
    ) -%}
    {%- if found.columns[0].values()[0] == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set row = run_query("select cast(as_of as varchar) from pipeline_state.run_as_of") -%}
    {{ return(row.columns[0].values()[0] if row.rows | length == 1 else none) }}
{%- endmacro %}
