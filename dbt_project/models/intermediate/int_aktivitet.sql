-- One row per Pro Capita activity as it stands at as_of, keyed like the marts: an activity
-- with an Insats-ID belongs to that insats and to the förbund that registered it
-- (stg_forbund__insatser); one without (a municipal activity outside every insats) gets
-- insats_id '(ingen insats)' and forbund '(okänt)', since nothing in the export names a
-- förbund. An activity that starts after as_of does not exist; one that ends after as_of is
-- still going on at as_of (no end, status Pågående).

{%- set as_of_date = as_of() %}

with

aktiviteter as (
    select * from {{ ref('stg_procapita__aktiviteter') }}
    where startdatum <= {{ as_of_date }}
),

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

final as (
    select
        row_number() over (
            order by
                aktiviteter.person_id, aktiviteter.aktivitet, aktiviteter.startdatum,
                aktiviteter.insats_id nulls first, aktiviteter.slutdatum nulls last, aktiviteter.status
        )::bigint as aktivitet_nr,
        coalesce(insatser.forbund, '(okänt)')::varchar as forbund,
        coalesce(aktiviteter.insats_id, '(ingen insats)')::varchar as insats_id,
        aktiviteter.aktivitet::varchar as aktivitet,
        aktiviteter.person_id::varchar as person_id,
        coalesce(aktiviteter.kon, 'Okänt')::varchar as kon,
        aktiviteter.startdatum::date as startdatum,
        case when aktiviteter.slutdatum <= {{ as_of_date }} then aktiviteter.slutdatum end::date as slutdatum,
        aktiviteter.slutdatum::date as slutdatum_registrerat,
        case
            when aktiviteter.slutdatum <= {{ as_of_date }} then aktiviteter.status else 'Pågående'
        end::varchar as status
    from aktiviteter
    left join insatser
        on aktiviteter.insats_id = insatser.insats_id
)

select * from final
