-- name: stegmatning_utan_episod
-- asset: marts/resultat
-- reads: staging/stg_forbund__stegmatning, staging/stg_sus__deltagare
-- severity: WARN
-- why: A step measurement names its episode by person, Insats-ID and start date (docs/sources.md); one naming no episode (a typo in the start date, or an episode later marked Felregistrering) is never counted in stegförflyttning, which makes steg_matta short but no published number wrong, so it warns.
--
-- Step measurements whose (person_id, insats_id, startdatum) is no episode of stg_sus__deltagare
-- (after the replacement rules, Felregistrering removed).

select
    steg.insats_id,
    steg.person_id,
    steg.startdatum,
    steg.mattillfalle,
    steg._source_file as fil
from staging.stg_forbund__stegmatning as steg
where not exists (
    select 1
    from staging.stg_sus__deltagare as episod
    where episod.person_id = steg.person_id
        and episod.insats_id = steg.insats_id
        and episod.startdatum = steg.startdatum
)
order by steg.insats_id, steg.person_id, steg.startdatum, steg.mattillfalle
