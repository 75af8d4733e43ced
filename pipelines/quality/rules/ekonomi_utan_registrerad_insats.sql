-- name: ekonomi_utan_registrerad_insats
-- asset: marts/ekonomi
-- reads: staging/stg_ekonomi__budget, staging/stg_ekonomi__ledger, staging/stg_forbund__insatser
-- severity: ERROR
-- why: Every Insats-ID used by another source must be in the insats register (docs/sources.md); budget or cost on an insats the newest register does not hold is reported under an insats no dashboard lists, and is missing from the förbund's own insatser.
--
-- Budget lines and ledger rows whose Insats-ID (Projekt) is not in the newest insats register of
-- any förbund. '(förbund)', the förbund's own administration (an empty Insats-ID or Projekt),
-- is registered nowhere and is fine.

select
    'budget' as kalla,
    budget.forbund,
    budget.insats_id,
    budget.ar,
    budget._source_file as fil
from staging.stg_ekonomi__budget as budget
where budget.insats_id <> '(förbund)'
    and not exists (
        select 1 from staging.stg_forbund__insatser as insats where insats.insats_id = budget.insats_id
    )

union all by name

select
    'ledger' as kalla,
    ledger.forbund,
    ledger.insats_id,
    ledger.ar,
    ledger._source_file as fil
from staging.stg_ekonomi__ledger as ledger
where ledger.insats_id <> '(förbund)'
    and not exists (
        select 1 from staging.stg_forbund__insatser as insats where insats.insats_id = ledger.insats_id
    )

order by kalla, forbund, insats_id, ar
