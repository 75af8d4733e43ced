{#-
    The replacement rules of docs/sources.md, in one place.

    Ingest appends every loaded export to raw.<kind> and never deletes anything; this macro
    decides which rows count. For every value of `key_columns` it keeps only the rows of the
    newest file that contains that value; rows of older files with the same key value are
    dropped, rows of older files with key values the newer file does not contain stay.
    An empty `key_columns` means the whole kind: only the newest file's rows survive.

    Newness of a file: `_file_date` desc nulls last, then `_exported_at` desc nulls last, then
    `_file_mtime` desc nulls last, then `_sha256` desc as a plain tiebreak, then `_loaded_at`
    desc. A file is one load (`_sha256`, `_loaded_at`): even if the same bytes were ever
    loaded twice, only one load survives per key, so nothing is counted twice.

    Returns a SELECT with exactly the relation's columns, for use as an import CTE:
        with source as ( {{ newest_file_rows(source('sus', 'sus_deltagare'), ['forbund', 'insats_id']) }} )
-#}
{% macro newest_file_rows(relation, key_columns) -%}
    {%- set keys = key_columns if key_columns is not string else [key_columns] -%}
    select candidate_rows.*
    from {{ relation }} as candidate_rows
    semi join (
        select {% for k in keys %}{{ k }}, {% endfor %}_sha256, _loaded_at
        from (
            select
                {% for k in keys %}{{ k }}, {% endfor %}_sha256,
                _loaded_at,
                row_number() over (
                    {% if keys | length > 0 %}partition by {{ keys | join(', ') }}{% endif %}
                    order by
                        _file_date desc nulls last,
                        _exported_at desc nulls last,
                        _file_mtime desc nulls last,
                        _sha256 desc,
                        _loaded_at desc
                ) as newness_rank
            from (
                select distinct
                    {% for k in keys %}{{ k }}, {% endfor %}_sha256,
                    _loaded_at,
                    _file_date,
                    _exported_at,
                    _file_mtime
                from {{ relation }}
            ) as files_per_key
        ) as ranked_files
        where newness_rank = 1
    ) as newest_files
        on candidate_rows._sha256 = newest_files._sha256
        and candidate_rows._loaded_at = newest_files._loaded_at
    {%- for k in keys %}
        and candidate_rows.{{ k }} is not distinct from newest_files.{{ k }}
    {%- endfor %}
{%- endmacro %}
