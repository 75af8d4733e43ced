-- One row per Pro Capita attendance row up to as_of, with the förbund and insats of the
-- activity it belongs to. Attendance carries no Insats-ID, so it is matched to the person's
-- activity with the same name (case-insensitive) that was running on the day (startdatum <=
-- datum and no registered end before it); when several match, the one with an insats, then the
-- latest start, wins. Attendance that matches no activity counts under insats_id
-- '(ingen insats)' and forbund '(okänt)', like activities outside every insats. The activity's
-- name is the matched activity's spelling.

with

narvaro as (
    select
        row_number() over (
            order by person_id, aktivitet, datum, planerade_timmar, narvarotimmar
        ) as narvaro_nr,
        *
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
        narvaro.narvaro_nr::bigint as narvaro_nr,
        coalesce(matchade.forbund, '(okänt)')::varchar as forbund,
        coalesce(matchade.insats_id, '(ingen insats)')::varchar as insats_id,
        coalesce(matchade.aktivitet, narvaro.aktivitet)::varchar as aktivitet,
        narvaro.person_id::varchar as person_id,
        coalesce(narvaro.kon, 'Okänt')::varchar as kon,
        narvaro.datum::date as datum,
        narvaro.planerade_timmar::double as planerade_timmar,
        narvaro.narvarotimmar::double as narvarotimmar
    from narvaro
    left join matchade
        on narvaro.narvaro_nr = matchade.narvaro_nr
)

select * from final
