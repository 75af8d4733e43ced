-- No krona is lost or counted twice: per förbund and year, the cost in ekonomi's `ar` rows
-- equals the cost rows of the ledger (stg_ekonomi__ledger.ar_kostnad) booked in months up to
-- as_of, and the budget in ekonomi's `ar` rows equals the budget export, for every year up to
-- as_of. A year without a dim_period row (money before the first insats or episode) shows up
-- here instead of vanishing. Returns the years that do not match.
-- Shown in Dagster as an asset check on ekonomi (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'ekonomi'}}}) }}

with

ekonomi as (
    select forbund, ar, sum(utfall_period) as utfall, sum(budget) as budget
    from {{ ref('ekonomi') }}
    where period_typ = 'ar'
    group by all
),

ledger as (
    select forbund, ar, sum(belopp) as utfall
    from {{ ref('stg_ekonomi__ledger') }}
    where ar_kostnad
        and manad <= {{ as_of() }}
    group by all
),

budget as (
    select forbund, ar, sum(belopp) as budget
    from {{ ref('stg_ekonomi__budget') }}
    where make_date(ar, 1, 1) <= {{ as_of() }}
    group by all
),

kallor as (
    select
        coalesce(ledger.forbund, budget.forbund) as forbund,
        coalesce(ledger.ar, budget.ar) as ar,
        coalesce(ledger.utfall, 0) as utfall,
        coalesce(budget.budget, 0) as budget
    from ledger
    full outer join budget
        on ledger.forbund = budget.forbund
        and ledger.ar = budget.ar
)

select
    coalesce(kallor.forbund, ekonomi.forbund) as forbund,
    coalesce(kallor.ar, ekonomi.ar) as ar,
    kallor.utfall as utfall_i_huvudboken,
    ekonomi.utfall as utfall_i_ekonomi,
    kallor.budget as budget_i_exporten,
    ekonomi.budget as budget_i_ekonomi
from kallor
full outer join ekonomi
    on kallor.forbund = ekonomi.forbund
    and kallor.ar = ekonomi.ar
where abs(coalesce(kallor.utfall, 0) - coalesce(ekonomi.utfall, 0)) >= 0.005
    or abs(coalesce(kallor.budget, 0) - coalesce(ekonomi.budget, 0)) >= 0.005
