-- Every step measurement names an episode of stg_sus__deltagare by (person_id, insats_id,
-- startdatum) (shared/sources.md). A measurement naming no episode (a typo in the start date,
-- or an episode later marked Felregistrering) is simply never counted in stegförflyttning, so
-- this warns instead of stopping the refresh. Returns the orphan measurements.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_forbund__stegmatning'}}}) }}

select steg.*
from {{ ref('stg_forbund__stegmatning') }} as steg
where not exists (
    select 1
    from {{ ref('stg_sus__deltagare') }} as episod
    where episod.person_id = steg.person_id
        and episod.insats_id = steg.insats_id
        and episod.startdatum = steg.startdatum
)
