{#-
    Code texts to the canonical spelling of seeds/kodlistor.csv.

    Exports vary in case ('arbete', 'FÖRSÖRJNINGSSTÖD'); ingest has already checked that every
    code is in its list case-insensitively. These macros look the trimmed text up in the seed
    (case-insensitive on both sides) and return the seed's `kod`. A text that is not in the
    list is returned trimmed and unchanged, so that the `accepted_codes` tests flag it instead
    of it silently becoming null. Empty text becomes null.
-#}

{#- One code: an expression of type VARCHAR. The list is a map from the lower-cased code to
    the seed's spelling, built once per query (the subquery does not depend on the row); a
    subquery per row that looked the text up made DuckDB join every row back to its column's
    distinct texts, half a second per column and million rows. -#}
{% macro normalise_code(column, kodlista) -%}
    coalesce(
        (
            select map_from_entries(list((lower(kodlista_rader.kod), kodlista_rader.kod)))
            from {{ ref('kodlistor') }} as kodlista_rader
            where kodlista_rader.kodlista = '{{ kodlista }}'
        )[lower(trim({{ column }}))],
        nullif(trim({{ column }}), '')
    )
{%- endmacro %}

{#- A comma-separated list of codes: an expression of type VARCHAR[], each code normalised,
    duplicates removed, sorted in the code list's `sortering` order (unknown codes last);
    an empty list (never null) when the text is null or empty. -#}
{% macro normalise_code_list(column, kodlista) -%}
    (
        coalesce(
            (
                select list(normaliserad.kod order by normaliserad.sortering, normaliserad.kod)
                from (
                    select
                        coalesce(kodlista_rader.kod, trim(delar.del)) as kod,
                        min(coalesce(kodlista_rader.sortering, 2147483647)) as sortering
                    from (select unnest(string_split({{ column }}, ',')) as del) as delar
                    left join {{ ref('kodlistor') }} as kodlista_rader
                        on kodlista_rader.kodlista = '{{ kodlista }}'
                        and lower(kodlista_rader.kod) = lower(trim(delar.del))
                    where trim(delar.del) <> ''
                    group by 1
                ) as normaliserad
            ),
            cast([] as varchar[])
        )
    )
{%- endmacro %}
