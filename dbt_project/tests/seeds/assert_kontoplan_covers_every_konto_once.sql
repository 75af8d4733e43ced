-- Every konto the ledger may carry (3000–8999, see pipelines/sources/ledger.yml) must fall in at
-- least one range of kontoplan_kostnadsslag, and at its lowest matching prioritet in exactly one,
-- so that stg_ekonomi__ledger maps every row to exactly one kostnadsslag. Returns offending konton.
with konton as (
    select cast(konto as integer) as konto
    from range(3000, 9000) as konton (konto)
),

matches as (
    select
        konton.konto,
        plan.prioritet,
        min(plan.prioritet) over (partition by konton.konto) as lagsta_prioritet
    from konton
    left join {{ ref('kontoplan_kostnadsslag') }} as plan
        on konton.konto between plan.konto_fran and plan.konto_till
)

select
    konto,
    count(prioritet) filter (where prioritet = lagsta_prioritet) as antal_vinnande_intervall
from matches
group by konto
having count(prioritet) filter (where prioritet = lagsta_prioritet) <> 1
