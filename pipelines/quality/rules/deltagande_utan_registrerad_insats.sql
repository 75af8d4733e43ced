-- name: deltagande_utan_registrerad_insats
-- asset: marts/genomflode
-- reads: staging/stg_sus__deltagare, staging/stg_sus__anonyma, staging/stg_forbund__insatser
-- severity: ERROR
-- why: Every Insats-ID used by another source must be in its förbund's insats register (docs/sources.md); an episode of an insats the newest register no longer holds has no trial period and no goal set, so it would be neither an early dropout nor to result, and anonymous participants of it would be counted under no insats.
--
-- SUS episodes (after the replacement rules, Felregistrering removed) and anonymous counts whose
-- (förbund, Insats-ID) is not in that förbund's newest insats register. Ingest already
-- quarantines a file naming an Insats-ID that no loaded register has; this finds what a later
-- register took away.

select
    'sus_deltagare' as kalla,
    deltagande.forbund,
    deltagande.insats_id,
    deltagande.person_id,
    deltagande.startdatum,
    deltagande._source_file as fil,
    deltagande._row_number as rad
from staging.stg_sus__deltagare as deltagande
where not exists (
    select 1
    from staging.stg_forbund__insatser as insats
    where insats.forbund = deltagande.forbund
        and insats.insats_id = deltagande.insats_id
)

union all by name

select
    'sus_anonyma' as kalla,
    anonyma.forbund,
    anonyma.insats_id,
    anonyma._source_file as fil
from staging.stg_sus__anonyma as anonyma
where not exists (
    select 1
    from staging.stg_forbund__insatser as insats
    where insats.forbund = anonyma.forbund
        and insats.insats_id = anonyma.insats_id
)

order by kalla, forbund, insats_id, person_id, startdatum
