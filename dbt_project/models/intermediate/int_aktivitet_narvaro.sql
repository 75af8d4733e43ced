-- Pro Capita attendance up to as_of, summed per förbund, insats, aktivitet, kon and month.
-- Attendance carries no Insats-ID, so each attendance day is matched to the person's activity
-- with the same name (case-insensitive) that was running on the day (startdatum <= datum and
-- no registered end before it); when several match, the one with an insats, then the latest
-- start, wins. Attendance that matches no activity counts under insats_id '(ingen insats)' and
-- forbund '(okänt)', like activities outside every insats. The activity's name is the matched
-- activity's spelling.
--
-- Why per month: every period of dim_period starts on the first of a month and ends on a
-- month's last day or on as_of, and nothing after as_of is kept, so a day is inside a period
-- exactly when its month is, and a period's hours are the sum of its months'. (A table of one
-- row per attendance row, 20 M at national scale, took most of this model's time to write.)
--
-- How a day finds its activity: the activities of one person and name are cut into pieces of
-- time in which the same activities run, and each piece gets its winner by the rule above
-- (thousands of activities, not millions of attendance rows, are ranked). A day then falls in
-- at most one piece: a plain join, no ranking of matches per attendance row.
--
-- Incremental: a night recomputes the months not yet over at the last build. Earlier months
-- cannot change: a night brings no Pro Capita file (one makes the build full), and an activity
-- that starts since the last build only wins days from its start (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': none, 'period_slut': 'last_day(manad)'},
) }}

with

narvaro as (
    select *
    from ({{ nightly_scope_rows(ref('stg_procapita__narvaro'), none, period_slut='last_day(datum)') }})
    where datum <= {{ as_of() }}
),

aktiviteter as (
    select
        aktivitet_nr,
        forbund,
        insats_id,
        aktivitet,
        person_id,
        lower(trim(aktivitet)) as namn,
        startdatum as fran,
        coalesce(slutdatum_registrerat, '9999-12-31'::date) as till
    from {{ ref('int_aktivitet') }}
    -- in a night only days from the first month in scope are matched: an activity that ended
    -- before it covers none of them, and without it a day's piece still has the same runners
    where coalesce(slutdatum_registrerat, '9999-12-31'::date) >= {{ nightly_first_open_month() }}
),

-- the days on which the set of running activities of a person and name may change
granser as (
    select person_id, namn, fran as dag from aktiviteter
    union
    select person_id, namn, till + 1 from aktiviteter where till < '9999-12-31'::date
),

bitar as (
    select
        person_id,
        namn,
        dag as fran,
        coalesce(lead(dag) over (partition by person_id, namn order by dag) - 1, '9999-12-31'::date) as till
    from granser
),

-- the winner of each piece that some activity covers (covering its first day = all of it)
vinnare as (
    select
        bitar.person_id,
        bitar.namn,
        bitar.fran,
        bitar.till,
        aktiviteter.forbund,
        aktiviteter.insats_id,
        aktiviteter.aktivitet
    from bitar
    inner join aktiviteter
        on bitar.person_id = aktiviteter.person_id
        and bitar.namn = aktiviteter.namn
        and bitar.fran >= aktiviteter.fran
        and bitar.fran <= aktiviteter.till
    qualify row_number() over (
            partition by bitar.person_id, bitar.namn, bitar.fran
            order by aktiviteter.insats_id = '(ingen insats)', aktiviteter.fran desc, aktiviteter.aktivitet_nr asc
        ) = 1
),

final as (
    select
        coalesce(vinnare.forbund, '(okänt)')::varchar as forbund,
        coalesce(vinnare.insats_id, '(ingen insats)')::varchar as insats_id,
        coalesce(vinnare.aktivitet, narvaro.aktivitet)::varchar as aktivitet,
        coalesce(narvaro.kon, 'Okänt')::varchar as kon,
        date_trunc('month', narvaro.datum)::date as manad,
        sum(narvaro.planerade_timmar)::double as planerade_timmar,
        sum(narvaro.narvarotimmar)::double as narvarotimmar,
        count(*)::bigint as narvarorader
    from narvaro
    left join vinnare
        on narvaro.person_id = vinnare.person_id
        and lower(trim(narvaro.aktivitet)) = vinnare.namn
        and narvaro.datum between vinnare.fran and vinnare.till
    group by all
)

select * from final
where {{ in_nightly_scope(none, 'last_day(manad)') }}
