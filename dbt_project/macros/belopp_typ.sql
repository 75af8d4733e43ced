{#- The type of every amount of money, from staging to the last sum: kronor with öre, exact.
    Sums of doubles depend on the order DuckDB's threads add them in, so the same inputs gave
    marts that differed in the last bits from run to run; decimal sums are exact. Ratios and
    the marts' contract columns are double (a division of decimals is a double). -#}
{% macro belopp_typ() -%}
    decimal(18, 2)
{%- endmacro %}
