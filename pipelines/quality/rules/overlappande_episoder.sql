-- name: overlappande_episoder
-- asset: marts/genomflode
-- reads: staging/stg_sus__deltagare
-- severity: ERROR
-- why: Two episodes of one person in one insats that share a day make that person count twice in aktiva, deltagardagar and beläggningsgrad (and often twice as nyinskriven); a start on the day the other ends counts as shared, since both ends of an episode are days in the insats.
--
-- Pairs of episodes (after the replacement rules, Felregistrering removed) of the same person in
-- the same förbund and insats whose days overlap. Each pair once: the earlier-starting episode is
-- episod 1.

select
    a.person_id,
    a.forbund,
    a.insats_id,
    a.startdatum as startdatum_1,
    a.slutdatum as slutdatum_1,
    b.startdatum as startdatum_2,
    b.slutdatum as slutdatum_2,
    a._source_file as fil_1,
    a._row_number as rad_1,
    b._source_file as fil_2,
    b._row_number as rad_2
from staging.stg_sus__deltagare as a
inner join staging.stg_sus__deltagare as b
    on a.person_id = b.person_id
    and a.forbund = b.forbund
    and a.insats_id = b.insats_id
    and a.deltagande_id <> b.deltagande_id
    and (a.startdatum < b.startdatum or (a.startdatum = b.startdatum and a.deltagande_id < b.deltagande_id))
    and b.startdatum <= coalesce(a.slutdatum, date '9999-12-31')
order by a.forbund, a.insats_id, a.person_id, a.startdatum
