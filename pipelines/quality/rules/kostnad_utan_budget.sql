-- name: kostnad_utan_budget
-- asset: marts/ekonomi
-- reads: staging/stg_ekonomi__ledger, staging/stg_ekonomi__budget
-- severity: WARN
-- why: Costs booked on an insats that has no budget row that year are published (the money was spent), but förbrukningsgrad and återstår are meaningless for it: usually a missing budget file or a booking on the wrong Projekt.
--
-- Per förbund, insats and year: cost booked in the ledger (cost accounts only; the förbund's
-- own administration excluded) where the budget export has no row for that insats and year.

select
    ledger.forbund,
    ledger.insats_id,
    ledger.ar,
    round(sum(ledger.belopp), 2) as kostnad,
    count(*) as bokningar,
    string_agg(distinct ledger._source_file, ', ') as filer
from staging.stg_ekonomi__ledger as ledger
where ledger.ar_kostnad
    and ledger.insats_id <> '(förbund)'
    and not exists (
        select 1
        from staging.stg_ekonomi__budget as budget
        where budget.forbund = ledger.forbund
            and budget.insats_id = ledger.insats_id
            and budget.ar = ledger.ar
    )
group by ledger.forbund, ledger.insats_id, ledger.ar
having sum(ledger.belopp) <> 0
order by ledger.forbund, ledger.insats_id, ledger.ar
