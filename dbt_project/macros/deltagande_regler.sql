{#-
    The arithmetic rules of docs/metrics/time.md that more than one model needs, each in one place.
    The domain rules themselves (which episodes count for what) live in int_deltagande and
    int_deltagande_period; these macros only fix how days, months and years are counted.
-#}

{#- One month = 30.4375 days (365.25 / 12) wherever days become months (docs/metrics/time.md). -#}
{% macro dagar_per_manad() -%}
    30.4375
{%- endmacro %}

{#- Days (a plain date difference) expressed as months, as a DOUBLE. -#}
{% macro dagar_till_manader(dagar) -%}
    (({{ dagar }}) / {{ dagar_per_manad() }})
{%- endmacro %}

{#- Full years from `fran` to `till`: the year difference, minus one when the birthday of
    `till`'s year has not been reached yet (a 29 February birthday is reached on 1 March
    in a common year). -#}
{% macro hela_ar(fran, till) -%}
    (
        extract(year from {{ till }}) - extract(year from {{ fran }})
        - case
            when (extract(month from {{ till }}), extract(day from {{ till }}))
                < (extract(month from {{ fran }}), extract(day from {{ fran }}))
            then 1 else 0
          end
    )::integer
{%- endmacro %}

{#- The lower bound of the band of width `bredd` that starts at `forsta` and holds `varde`
    (bands ..., forsta - bredd, forsta, forsta + bredd, ...). -#}
{% macro bandets_start(varde, forsta, bredd) -%}
    ({{ forsta }} + {{ bredd }} * floor((({{ varde }}) - {{ forsta }}) / {{ bredd }}))::integer
{%- endmacro %}

{#- SUS' label of a band: `<start> - <start + bredd - 1>`, e.g. `15 - 29`, `1 - 5`. -#}
{% macro bandets_namn(bandstart, bredd) -%}
    (({{ bandstart }})::varchar || ' - ' || (({{ bandstart }}) + {{ bredd }} - 1)::varchar)
{%- endmacro %}

{#- The first day of the last calendar month that has wholly ended at `datum` (its own month
    when `datum` is the month's last day). -#}
{% macro sista_hela_manaden(datum) -%}
    case
        when {{ datum }} = last_day({{ datum }}) then cast(date_trunc('month', {{ datum }}) as date)
        else cast(date_trunc('month', {{ datum }}) - interval 1 month as date)
    end
{%- endmacro %}
