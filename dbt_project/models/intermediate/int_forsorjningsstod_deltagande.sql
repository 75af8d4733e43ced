-- Measured social assistance (Pro Capita ekonomiskt bistånd) around each episode that ended to
-- result: the person's mean payment per month over the 6 calendar months before the month of
-- start s (month(s) − 6 … month(s) − 1) and over the 6 calendar months after the month of end t
-- (month(t) + 1 … month(t) + 6). The months of s and t themselves are in neither window. A
-- month with no payment counts as 0, so each mean is Σ payments in the window / 6. The person
-- is matched on the pseudonym (same key in SUS and Pro Capita); a payment is the household's
-- Sbel, which belongs to each person of the household.
--
-- An episode is measured (uppmatt) when the person has at least one payment in either window
-- and both windows lie wholly inside what the payment data covers: from its first month to its
-- last month, and no later than the last month that has ended at as_of. Otherwise a missing
-- month would look like a zero.
--
-- Incremental: a night recomputes the episodes of changed förbund and those whose after window
-- reaches past the last month measurable at the last build (they include every episode that
-- ended since); for the others nothing that as_of bounds has moved (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'unique_key': 'deltagande_id'},
) }}
{%- set as_of_date = as_of() %}
{%- set since = nightly_since() %}
{%- set changed = nightly_scope_forbund_list(nightly_scope()) if since else none %}
{#- in a night, the episodes that can have changed (the CTE matbart_vid_forra_bygget below) -#}
{%- set in_night_scope -%}
{%- if since -%}
(cast(date_trunc('month', deltagande.slutdatum) + interval 6 month as date) > matbart_vid_forra_bygget.sista_manad
{%- if changed %} or deltagande.forbund in ({{ changed }}){% endif %})
{%- else -%}
true
{%- endif -%}
{%- endset %}

with

-- Each CTE below reads the payments itself: a CTE read twice is copied whole (8 M rows at
-- national scale), while a scan of the months alone costs little.
betalningar as (
    select * from {{ ref('stg_procapita__ekonomiskt_bistand') }}
    where manad <= {{ as_of_date }}
),

-- the months the payment data covers, up to the last month that has ended at as_of
tackning as (
    select
        min(manad) as forsta_manad,
        least(max(manad), {{ sista_hela_manaden(as_of_date) }}) as sista_manad
    from {{ ref('stg_procapita__ekonomiskt_bistand') }}
    where manad <= {{ as_of_date }}
),

-- in a night: the last month that was measurable at the last build (since_as_of); the episodes
-- whose after window ends before it cannot change (unused in a full build)
matbart_vid_forra_bygget as (
    select coalesce(least(max(manad), {{ sista_hela_manaden(since or as_of_date) }}), date '0001-01-01') as sista_manad
    from {{ ref('stg_procapita__ekonomiskt_bistand') }}
    where manad <= {{ since or as_of_date }}
),

deltagande as (
    select deltagande.*
    from {{ ref('int_deltagande') }} as deltagande
    cross join matbart_vid_forra_bygget
    where
        deltagande.till_resultat
        and {{ in_night_scope }}
),

fonster as (
    select
        deltagande_id,
        forbund,
        insats_id,
        person_id,
        startdatum,
        slutdatum,
        cast(date_trunc('month', startdatum) - interval 6 month as date) as fore_fran,
        cast(date_trunc('month', startdatum) - interval 1 month as date) as fore_till,
        cast(date_trunc('month', slutdatum) + interval 1 month as date) as efter_fran,
        cast(date_trunc('month', slutdatum) + interval 6 month as date) as efter_till
    from deltagande
),

summor as (
    select
        fonster.deltagande_id,
        sum(betalningar.belopp) filter (
            where betalningar.manad between fonster.fore_fran and fonster.fore_till
        ) as summa_fore,
        sum(betalningar.belopp) filter (
            where betalningar.manad between fonster.efter_fran and fonster.efter_till
        ) as summa_efter,
        count(*) as betalningsmanader
    from fonster
    inner join betalningar
        on fonster.person_id = betalningar.person_id
        and (
            betalningar.manad between fonster.fore_fran and fonster.fore_till
            or betalningar.manad between fonster.efter_fran and fonster.efter_till
        )
    group by fonster.deltagande_id
),

final as (
    select
        fonster.deltagande_id::varchar as deltagande_id,
        fonster.forbund::varchar as forbund,
        fonster.insats_id::varchar as insats_id,
        fonster.person_id::varchar as person_id,
        fonster.fore_fran::date as fore_fran,
        fonster.fore_till::date as fore_till,
        fonster.efter_fran::date as efter_fran,
        fonster.efter_till::date as efter_till,
        coalesce(summor.betalningsmanader, 0)::bigint as betalningsmanader,
        coalesce(
            summor.betalningsmanader > 0
            and fonster.fore_fran >= tackning.forsta_manad
            and fonster.efter_till <= tackning.sista_manad,
            false
        ) as uppmatt,
        coalesce(summor.summa_fore, 0)::{{ belopp_typ() }} as summa_forsorjningsstod_fore,
        coalesce(summor.summa_efter, 0)::{{ belopp_typ() }} as summa_forsorjningsstod_efter
    from fonster
    cross join tackning
    left join summor
        on fonster.deltagande_id = summor.deltagande_id
)

select * from final
