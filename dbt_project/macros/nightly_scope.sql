{#-
    The nightly scope: which rows of an incremental model a refresh recomputes.

    A night changes little: as_of moves a day and a few förbund drop new exports. The pipeline
    (pipelines/nightly_scope.py) compares the warehouse with its last successful build and
    writes the scope into `pipeline_state.nightly_scope` (since_as_of: the last build's as_of)
    and `pipeline_state.nightly_scope_forbund` (the förbund with new files) before dbt runs.
    Anything else that changed (the dbt project, seeds, a kind without a förbund column, as_of
    moving back) makes it a full build (`dbt build --full-refresh`), which ignores the scope.

    A row is in scope when its förbund changed, or when its period had not ended at the last
    build (period_slut > since_as_of): closed periods of untouched förbund cannot change, every
    rule of docs/metrics/ counts what happened up to period_slut. A model whose rows also
    depend on later data gives `months_back` (samhallsekonomi: försörjningsstöd measured over
    the six months after an episode ended).

    Models use it in two places, with the same column names:
    - config(materialized='incremental', incremental_strategy='nightly_scope',
      nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut', 'months_back': 0}):
      the strategy below deletes the model's rows in scope and inserts the recomputed ones;
    - their inputs are read through `nightly_scope_rows(relation, ...)`, which in an incremental
      run keeps the input rows that can reach a row in scope: rows of a changed förbund, and
      rows of an open period (`period_slut`), or dated on or after the first day of any open
      period (`active_until`: the last date the row counts, e.g. an episode's end or null).
      Outside an incremental run it is the whole relation.
    `forbund: none` means the model's rows do not depend on the files a night brings (a new
    file of such a kind makes the build full): with a `period_slut` only its open periods are
    recomputed, without one nothing is.

    A model with one row per episode (the intermediate int_deltagande family) has no period:
    config nightly_scope={'forbund': 'forbund', 'unique_key': 'deltagande_id'} and its input
    read through `nightly_episode_rows(...)`, which in a night keeps the episodes whose row can
    have changed. The strategy then deletes the rows of changed förbund and the rows whose key
    the model recomputed, and inserts the recomputed ones.
    Without the scope tables (dbt run by hand) everything is in scope.
-#}

{% macro nightly_scope() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {{ return(read_once('nightly_scope', read_nightly_scope)) }}
{%- endmacro %}


{#- The scope tables as nightly_scope() returns them (none: no scope, a full build). -#}
{% macro read_nightly_scope() -%}
    {%- set found = run_query(
        "select count(*) from duckdb_tables() "
        ~ "where schema_name = 'pipeline_state' and table_name = 'nightly_scope'"
    ) -%}
    {%- if found.columns[0].values()[0] == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set row = run_query(
        "select cast(since_as_of as varchar), "
        ~ "(select to_json(coalesce(list(forbund order by forbund), []::varchar[])) "
        ~ "from pipeline_state.nightly_scope_forbund) from pipeline_state.nightly_scope"
    ) -%}
    {%- if row.rows | length != 1 -%}{{ return(none) }}{%- endif -%}
    {{ return({'since_as_of': row.rows[0][0], 'forbund': fromjson(row.rows[0][1])}) }}
{%- endmacro %}


{#- In an incremental run with a scope: since_as_of as a DATE literal; else none. -#}
{% macro nightly_since() -%}
    {%- set scope = nightly_scope() if nightly_incremental() else none -%}
    {{ return(none if scope is none else "date '" ~ scope.since_as_of ~ "'") }}
{%- endmacro %}


{#- The first day of the month of since_as_of in an incremental run with a scope (the earliest
    day of any month not over at the last build); else the earliest date. -#}
{% macro nightly_first_open_month() -%}
    {%- set since = nightly_since() -%}
    {{ "cast(date_trunc('month', " ~ since ~ ") as date)" if since else "'0001-01-01'::date" }}
{%- endmacro %}


{% macro nightly_scope_predicate(forbund='forbund', period_slut=none, months_back=0, scope=none) -%}
    {%- set scope = scope if scope is not none else nightly_scope() -%}
    {%- if scope is none -%}
        true
    {%- else -%}
        {%- set parts = [] -%}
        {%- set changed = nightly_scope_forbund_list(scope) -%}
        {%- if forbund and changed -%}
            {%- do parts.append(forbund ~ " in (" ~ changed ~ ")") -%}
        {%- endif -%}
        {%- if period_slut -%}
            {%- do parts.append(
                period_slut ~ " > date '" ~ scope.since_as_of ~ "' - interval " ~ months_back ~ " month"
            ) -%}
        {%- endif -%}
        ({{ parts | join(" or ") if parts else "false" }})
    {%- endif -%}
{%- endmacro %}


{#- In a model's last select: its rows in scope (what the strategy deletes), or `true`. -#}
{#- An incremental run of a model (not a full build, nor a dbt unit test, which has no `this`). -#}
{% macro nightly_incremental() -%}
    {{ return(this is not none and is_incremental()) }}
{%- endmacro %}


{% macro in_nightly_scope(forbund='forbund', period_slut=none, months_back=0) -%}
    {%- if nightly_incremental() -%}
        {{ nightly_scope_predicate(forbund, period_slut, months_back) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The scope's förbund as SQL string literals, or none when there are none. -#}
{% macro nightly_scope_forbund_list(scope) -%}
    {%- set quoted = [] -%}
    {%- for name in scope.forbund -%}
        {%- do quoted.append("'" ~ name | replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {{ return(quoted | join(', ') if quoted else none) }}
{%- endmacro %}


{#- The rows of `relation` that can reach a row in scope. Written as two disjoint parts (changed
    förbund; the other rows' open periods, a row without förbund among them, as in
    nightly_scope_predicate) so that DuckDB pushes each filter down to the
    side of a join it belongs to (an OR across both would be applied only after the join). -#}
{% macro nightly_scope_rows(relation, forbund='forbund', period_slut=none, active_until=none, months_back=0) -%}
    {%- set scope = nightly_scope() if nightly_incremental() else none -%}
    {{ nightly_scope_rows_of(scope, relation, forbund, period_slut, active_until, months_back) }}
{%- endmacro %}


{#- nightly_scope_rows for a given scope (none: every row). -#}
{% macro nightly_scope_rows_of(
    scope, relation, forbund='forbund', period_slut=none, active_until=none, months_back=0
) -%}
    {%- if scope is none -%}
        select * from {{ relation }}
    {%- elif not forbund and not period_slut -%}
        select * from {{ relation }} where false
    {%- else -%}
        {%- set changed = nightly_scope_forbund_list(scope) -%}
        {%- set since = "date '" ~ scope.since_as_of ~ "'" -%}
        {%- if period_slut -%}
            {%- set open = period_slut ~ " > " ~ since ~ " - interval " ~ months_back ~ " month" -%}
        {%- elif active_until -%}
            {#- the earliest day of a period that can be open: a rullande_12 period ending
                in the month after since_as_of starts 11 months before that month -#}
            {%- set open = "coalesce(" ~ active_until ~ ", date '9999-12-31') >= date_trunc('month', " ~ since
                ~ ") - interval " ~ (12 + months_back) ~ " month" -%}
        {%- else -%}
            {%- set open = "false" -%}
        {%- endif -%}
        {%- if changed and forbund -%}
            select * from {{ relation }} where {{ forbund }} in ({{ changed }})
            union all
            select * from {{ relation }}
            where ({{ forbund }} is null or {{ forbund }} not in ({{ changed }})) and {{ open }}
        {%- else -%}
            select * from {{ relation }} where {{ open }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The rows of `relation` (an episode table) a model keyed by episode recomputes at night:
    every row of a changed förbund, and of the other förbund the rows with one of `dates` after
    since_as_of (the episode started or ended since the last build). `together`: columns whose
    groups are taken whole, for a value computed over the group (how many episodes a person has
    in an insats). as_of only moves forward in a night, so no such row can vanish. Outside an
    incremental run it is the whole relation. -#}
{% macro nightly_episode_rows(relation, dates, forbund='forbund', together=none) -%}
    {%- set scope = nightly_scope() if nightly_incremental() else none -%}
    {%- if scope is none -%}
        select * from {{ relation }}
    {%- else -%}
        {%- set changed = nightly_scope_forbund_list(scope) -%}
        {%- set since = "date '" ~ scope.since_as_of ~ "'" -%}
        {%- set moved = [] -%}
        {%- for column in dates -%}{%- do moved.append(column ~ " > " ~ since) -%}{%- endfor -%}
        {%- set others = forbund ~ " not in (" ~ changed ~ ") and " if changed else "" -%}
        {%- if changed %}
        select * from {{ relation }} where {{ forbund }} in ({{ changed }})
        union all
        {% endif -%}
        {%- if together %}
        select * from {{ relation }}
        where {{ others }}({{ together | join(', ') }}) in (
            select {{ together | join(', ') }} from {{ relation }}
            where {{ others }}({{ moved | join(' or ') }})
        )
        {%- else %}
        select * from {{ relation }} where {{ others }}({{ moved | join(' or ') }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro get_incremental_nightly_scope_sql(arg_dict) -%}
    {%- set scope = config.get('nightly_scope') -%}
    {%- if scope is none -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'nightly_scope' needs config nightly_scope={forbund, period_slut}"
        ) }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set key = scope.get('unique_key') -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ nightly_scope_predicate(scope.get('forbund'), scope.get('period_slut'), scope.get('months_back', 0)) }}
    {%- if key %}
        or {{ key }} in (select {{ key }} from {{ arg_dict['temp_relation'] }})
    {%- endif %};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }};
    {%- if key %}
        {#- the keys recomputed, for the model's tests (nightly_recomputed_keys) -#}
        create or replace table {{ nightly_keys_table(arg_dict['target_relation']) }} as
        select distinct {{ key }} from {{ arg_dict['temp_relation'] }};
    {%- endif %}
{%- endmacro %}


{#- Where a model scoped by key records the keys its night recomputed. The pipeline drops these
    tables with the scope (pipelines/nightly_scope.py drop_scope), before every build. -#}
{% macro nightly_keys_table(relation) -%}
    pipeline_state.{{ nightly_keys_identifier(relation) }}
{%- endmacro %}


{% macro nightly_keys_identifier(relation) -%}
    nightly_keys__{{ relation.identifier }}
{%- endmacro %}


{#- The rows of a model scoped by key that this night recomputed: of a changed förbund, or with a
    key the night recomputed (what the strategy above deleted and inserted). Every row of a key
    is either recomputed or from an earlier build, so a test of a row or of rows of one key (a
    uniqueness test over a grain that includes the key) needs no others. None when the model
    recorded no keys in this build (not built incrementally): then its tests see every row. -#}
{% macro nightly_recomputed_keys(scope, relation, forbund, key) -%}
    {%- set found = run_query(
        "select count(*) from duckdb_tables() where schema_name = 'pipeline_state' "
        ~ "and table_name = '" ~ nightly_keys_identifier(relation) ~ "'"
    ) -%}
    {%- if found.columns[0].values()[0] == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set changed = nightly_scope_forbund_list(scope) -%}
    {%- set rows -%}
        select * from {{ relation }}
        where {{ key }} in (select {{ key }} from {{ nightly_keys_table(relation) }})
        {%- if changed and forbund %} or {{ forbund }} in ({{ changed }}){% endif %}
    {%- endset -%}
    {{ return(rows) }}
{%- endmacro %}


{#- The nightly_scope config of the model behind `relation`, or none (not such a model): an
    incremental model built with the strategy, or a view that states which of its rows a night
    can change. -#}
{% macro nightly_scope_config_of(relation) -%}
    {#- no graph while dbt parses, nor in sqlfluff's templater (make lint) -#}
    {%- if not execute or graph is not defined -%}{{ return(none) }}{%- endif -%}
    {#- looked up by the model's unique id, not by a walk over the graph: every test asks -#}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ relation.identifier) -%}
    {%- if node is not none and node.alias == relation.identifier and node.schema == relation.schema -%}
        {{ return(node.config.get('nightly_scope')) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- Generic data tests (unique, not_null, accepted_values, …) get their model through this
    macro (dbt's own, overridden here). In a nightly build a test on an incremental model checks
    the rows the night recomputed: the others are the ones the earlier builds checked, unchanged.
    A test's own `where` config still applies. -#}
{% macro get_where_subquery(relation) -%}
    {%- set parts = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do parts.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set scope_config = nightly_scope_config_of(relation) if execute else none -%}
    {%- set scope = nightly_scope() if scope_config is not none else none -%}
    {%- set key = scope_config.get('unique_key') if scope_config is not none else none -%}
    {%- set by_key = nightly_recomputed_keys(scope, relation, scope_config.get('forbund'), key)
        if scope is not none and key else none -%}
    {%- if key and by_key is none -%}{%- set scope = none -%}{%- endif -%}
    {%- if by_key is not none -%}
        {%- set rows = '(' ~ by_key ~ ')' -%}
    {%- elif scope is not none -%}
        {#- the rows in scope as the models read them, so that the filters reach the tables
            behind a view -#}
        {%- set rows -%}
            ({{ nightly_scope_rows_of(
                scope, relation, scope_config.get('forbund'), scope_config.get('period_slut'), none,
                scope_config.get('months_back', 0)
            ) }})
        {%- endset -%}
    {%- else -%}
        {%- set rows = relation -%}
    {%- endif -%}
    {%- if parts or scope is not none -%}
        {%- set filtered -%}
            (select * from {{ rows }} as i_omfang where {{ parts | join(' and ') if parts else 'true' }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- For singular tests over incremental marts: the rows of `relation` in the nightly scope
    (the base scope, common to every incremental mart; `months_back` widens it for a test that
    compares a row with rows up to that many months earlier), or all of them outside a nightly
    build. -#}
{% macro rows_in_nightly_scope(relation, months_back=0) -%}
    {%- set scope = nightly_scope() -%}
    select * from {{ relation }}
    {%- if scope is not none %} where {{ nightly_scope_predicate('forbund', 'period_slut', months_back, scope) }}{% endif %}
{%- endmacro %}
