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

with

-- materialized: computed once, so both uses see the same narvaro_nr; the number only tells
-- the rows apart within this query, so it needs no order
narvaro as materialized (
    select row_number() over () as narvaro_nr, *
    from {{ ref('stg_procapita__narvaro') }}
    where datum <= {{ as_of() }}
),

aktiviteter as (
    select * from {{ ref('int_aktivitet') }}
),

matchade as (
    select
        narvaro.narvaro_nr,
        aktiviteter.forbund,
        aktiviteter.insats_id,
        aktiviteter.aktivitet
    from narvaro
    inner join aktiviteter
        on narvaro.person_id = aktiviteter.person_id
        and lower(trim(narvaro.aktivitet)) = lower(trim(aktiviteter.aktivitet))
        and narvaro.datum >= aktiviteter.startdatum
        and (aktiviteter.slutdatum_registrerat is null or narvaro.datum <= aktiviteter.slutdatum_registrerat)
    qualify row_number() over (
        partition by narvaro.narvaro_nr
        order by aktiviteter.insats_id = '(ingen insats)', aktiviteter.startdatum desc, aktiviteter.aktivitet_nr
    ) = 1
),

final as (
    select
        coalesce(matchade.forbund, '(okänt)')::varchar as forbund,
        coalesce(matchade.insats_id, '(ingen insats)')::varchar as insats_id,
        coalesce(matchade.aktivitet, narvaro.aktivitet)::varchar as aktivitet,
        coalesce(narvaro.kon, 'Okänt')::varchar as kon,
        date_trunc('month', narvaro.datum)::date as manad,
        sum(narvaro.planerade_timmar)::double as planerade_timmar,
        sum(narvaro.narvarotimmar)::double as narvarotimmar,
        count(*)::bigint as narvarorader
    from narvaro
    left join matchade
        on narvaro.narvaro_nr = matchade.narvaro_nr
    group by all
)

select * from final
