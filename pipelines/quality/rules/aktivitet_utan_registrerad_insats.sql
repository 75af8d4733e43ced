-- name: aktivitet_utan_registrerad_insats
-- asset: marts/aktivitet
-- reads: staging/stg_procapita__aktiviteter, staging/stg_forbund__insatser
-- severity: ERROR
-- why: Every Insats-ID used by another source must be in the insats register (docs/sources.md); a Pro Capita activity naming an unregistered insats has no förbund, so its completion and attendance would be reported under a key no report reads.
--
-- Activities with an Insats-ID (an empty one means "outside every insats" and is fine) that is
-- not in the newest insats register of any förbund.

select
    akt.insats_id,
    akt.person_id,
    akt.aktivitet,
    akt.startdatum,
    akt._source_file as fil
from staging.stg_procapita__aktiviteter as akt
where akt.insats_id is not null
    and not exists (
        select 1 from staging.stg_forbund__insatser as insats where insats.insats_id = akt.insats_id
    )
order by akt.insats_id, akt.person_id, akt.startdatum
