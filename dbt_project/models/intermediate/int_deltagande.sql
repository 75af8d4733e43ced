-- One row per deltagande (participant episode) as it stands at as_of, with every per-episode
-- fact of docs/metrics/ derived once: days, trial period, outcome (from the mapping seed), goal
-- (from the insats' goal set), steps, age and time-in-insats bands. Marts never re-derive these.
--
-- Incremental: a night recomputes the episodes of changed förbund and, of the others, those
-- that started or ended since the last build, together with the person's other episodes in
-- the same insats (flera_deltaganden_i_insatsen counts them); no other row depends on as_of
-- (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'unique_key': 'deltagande_id'},
) }}
{%- set as_of_date = as_of() %}

with

deltagare as (
    {{ nightly_episode_rows(
        ref('stg_sus__deltagare'), ['startdatum', 'slutdatum'], together=['forbund', 'insats_id', 'person_id']
    ) }}
),

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

stegmatning as (
    select * from {{ ref('stg_forbund__stegmatning') }}
),

utfallsmappning as (
    select * from {{ ref('utfallsmappning') }}
),

-- as_of: an episode that starts after as_of does not exist; an end after as_of has not
-- happened yet, so the episode is ongoing and its end fields are not known
vid_as_of as (
    select
        deltagande_id,
        forbund,
        insats_id,
        insatsnamn,
        person_id,
        coalesce(kon, 'Okänt') as kon,
        fodelsedatum,
        startdatum,
        slutdatum as slutdatum_registrerat,
        case when slutdatum <= {{ as_of_date }} then slutdatum end as slutdatum,
        coalesce(slutdatum <= {{ as_of_date }}, false) as ar_avslutad,
        tid_i_offentlig_forsorjning,
        utbildningsniva,
        remittent,
        forsorjning_fore,
        case when slutdatum <= {{ as_of_date }} then avslutsanledning end as avslutsanledning,
        case when slutdatum <= {{ as_of_date }} then sysselsattning_efter end as sysselsattning_efter,
        case when slutdatum <= {{ as_of_date }} then forsorjning_efter end as forsorjning_efter,
        _source_file
    from deltagare
    where startdatum <= {{ as_of_date }}
),

-- the end fields the mapping seed may name, one row per (episode, field)
slutfalt as (
    select deltagande_id, 'sysselsattning_efter' as falt, sysselsattning_efter as varde
    from vid_as_of
    where ar_avslutad
    union all
    select deltagande_id, 'avslutsanledning' as falt, avslutsanledning as varde
    from vid_as_of
    where ar_avslutad
),

-- utfall: the matching mapping row with the lowest prioritet wins; `*` matches any value of
-- its field (also an empty one); an exact value beats `*` at equal prioritet
utfall_kandidater as (
    select
        slutfalt.deltagande_id,
        utfallsmappning.utfall,
        row_number() over (
            partition by slutfalt.deltagande_id
            order by
                utfallsmappning.prioritet,
                utfallsmappning.varde = '*',
                utfallsmappning.falt,
                utfallsmappning.varde
        ) as rang
    from slutfalt
    inner join utfallsmappning
        on lower(trim(utfallsmappning.falt)) = slutfalt.falt
        and (
            trim(utfallsmappning.varde) = '*'
            or lower(trim(utfallsmappning.varde)) = lower(trim(slutfalt.varde))
        )
),

utfall as (
    select deltagande_id, lower(trim(utfall)) as utfall
    from utfall_kandidater
    where rang = 1
),

-- processtrappa: the episode's step at start and at end (person + insats + start date)
steg as (
    select
        person_id,
        insats_id,
        startdatum,
        max(steg) filter (where lower(mattillfalle) = 'start') as steg_start,
        max(steg) filter (where lower(mattillfalle) = 'avslut') as steg_slut
    from stegmatning
    group by person_id, insats_id, startdatum
),

med_insats as (
    select
        vid_as_of.*,
        insatser.provotid_dagar,
        insatser.malutfall,
        utfall.utfall,
        steg.steg_start,
        steg.steg_slut,
        (vid_as_of.slutdatum - vid_as_of.startdatum)::integer as dagar
    from vid_as_of
    left join insatser
        on vid_as_of.forbund = insatser.forbund
        and vid_as_of.insats_id = insatser.insats_id
    left join utfall
        on vid_as_of.deltagande_id = utfall.deltagande_id
    left join steg
        on vid_as_of.person_id = steg.person_id
        and vid_as_of.insats_id = steg.insats_id
        and vid_as_of.startdatum = steg.startdatum
),

regler as (
    select
        *,

        -- trial period: ended with t − s < provotid is an early dropout, the rest count to result
        ar_avslutad and dagar < provotid_dagar as tidigt_avhopp,
        ar_avslutad and dagar >= provotid_dagar as till_resultat,

        -- time in insats in months, and SUS' five-month bands (ended episodes)
        {{ dagar_till_manader('dagar') }} as manader_exakt,
        case
            when ar_avslutad then greatest(1, ceil({{ dagar_till_manader('dagar') }}))::integer
        end as manader_i_insats,

        -- age at start in full years, SUS' fifteen-year bands
        {{ hela_ar('fodelsedatum', 'startdatum') }} as alder_vid_start

    from med_insats
),

final as (
    select
        -- keys
        deltagande_id,
        forbund,
        insats_id,
        insatsnamn,
        person_id,
        -- the person has another episode in this insats: only such episodes need a distinct
        -- count of persons (enhetskostnad); the others are one person each
        count(*) over (partition by forbund, insats_id, person_id) > 1 as flera_deltaganden_i_insatsen,

        -- the person
        kon,
        fodelsedatum,
        alder_vid_start,
        {{ bandets_namn(bandets_start('alder_vid_start', 15, 15), 15) }} as aldersgrupp,
        {{ bandets_start('alder_vid_start', 15, 15) }} as aldersgrupp_sortering,
        tid_i_offentlig_forsorjning,
        utbildningsniva,
        remittent,
        forsorjning_fore,

        -- the episode
        startdatum,
        slutdatum,
        slutdatum_registrerat,
        ar_avslutad,
        dagar,
        provotid_dagar,
        coalesce(tidigt_avhopp, false) as tidigt_avhopp,
        coalesce(till_resultat, false) as till_resultat,
        manader_exakt,
        manader_i_insats,
        {{ bandets_namn(bandets_start('manader_i_insats', 1, 5), 5) }} as tid_i_insats,
        {{ bandets_start('manader_i_insats', 1, 5) }} as tid_i_insats_sortering,

        -- the end
        avslutsanledning,
        sysselsattning_efter,
        forsorjning_efter,
        utfall,
        malutfall,
        coalesce(
            till_resultat
            and list_contains(list_transform(malutfall, lambda m: lower(trim(m))), utfall),
            false
        ) as i_mal,

        -- processtrappa, over episodes to result with a step at start and at end
        steg_start,
        steg_slut,
        coalesce(till_resultat and steg_start is not null and steg_slut is not null, false) as steg_matt,
        coalesce(till_resultat and steg_slut > steg_start, false) as steg_upp,
        coalesce(till_resultat and steg_slut < steg_start, false) as steg_ned,

        _source_file
    from regler
)

select * from final
