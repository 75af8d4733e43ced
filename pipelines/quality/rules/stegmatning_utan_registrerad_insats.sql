-- name: stegmatning_utan_registrerad_insats
-- asset: marts/resultat
-- reads: staging/stg_forbund__stegmatning, staging/stg_forbund__insatser
-- severity: ERROR
-- why: Every Insats-ID used by another source must be in the insats register (docs/sources.md); a step measurement of an insats no register (in its newest version) holds belongs to no förbund and no goal set, so its steps are counted nowhere or wrongly.
--
-- Step measurements whose Insats-ID is not in the newest insats register of any förbund.

select
    steg.insats_id,
    steg.person_id,
    steg.startdatum,
    steg.mattillfalle,
    steg._source_file as fil
from staging.stg_forbund__stegmatning as steg
where not exists (
    select 1 from staging.stg_forbund__insatser as insats where insats.insats_id = steg.insats_id
)
order by steg.insats_id, steg.person_id, steg.startdatum
