-- uppfoljning_finsam repeats other marts' figures: budget and utfall are ekonomi's `ar` row
-- summed over kostnadsslag, the anonymous participants genomflode's, tilldelade_medel the sum
-- of finansiering, and every insats × year of ekonomi has its row. Returns the figures that
-- differ (half an öre of rounding allowed on money).
-- Shown in Dagster as an asset check on uppfoljning_finsam (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'uppfoljning_finsam'}}}) }}

with

uppfoljning as (
    select * from {{ ref('uppfoljning_finsam') }}
),

ekonomi as (
    select forbund, insats_id, period_id, sum(budget) as budget, sum(utfall_period) as utfall
    from {{ ref('ekonomi') }}
    where period_typ = 'ar'
    group by all
),

anonyma as (
    select
        forbund, insats_id, period_id,
        sum(anonyma) filter (where kon = 'Kvinna') as anonyma_kvinnor,
        sum(anonyma) filter (where kon = 'Man') as anonyma_man
    from {{ ref('genomflode') }}
    where period_typ = 'ar' and anonyma > 0
    group by all
),

finansiering as (
    select forbund, period_id, sum(belopp) as tilldelade_medel
    from {{ ref('finansiering') }}
    group by all
)

select
    'ekonomi' as jamfort_med, coalesce(uppfoljning.forbund, ekonomi.forbund) as forbund,
    coalesce(uppfoljning.insats_id, ekonomi.insats_id) as insats_id,
    coalesce(uppfoljning.period_id, ekonomi.period_id) as period_id,
    uppfoljning.budget as varde, ekonomi.budget as forvantat
from uppfoljning
full outer join ekonomi
    using (forbund, insats_id, period_id)
where ekonomi.forbund is not null
    and (
        uppfoljning.forbund is null
        or abs(uppfoljning.budget - ekonomi.budget) >= 0.005
        or abs(uppfoljning.utfall - ekonomi.utfall) >= 0.005
    )
union all
select
    'genomflode', uppfoljning.forbund, uppfoljning.insats_id, uppfoljning.period_id,
    uppfoljning.anonyma_kvinnor + uppfoljning.anonyma_man,
    coalesce(anonyma.anonyma_kvinnor, 0) + coalesce(anonyma.anonyma_man, 0)
from uppfoljning
left join anonyma
    using (forbund, insats_id, period_id)
where uppfoljning.anonyma_kvinnor <> coalesce(anonyma.anonyma_kvinnor, 0)
    or uppfoljning.anonyma_man <> coalesce(anonyma.anonyma_man, 0)
union all
select
    'finansiering', uppfoljning.forbund, uppfoljning.insats_id, uppfoljning.period_id,
    uppfoljning.tilldelade_medel, finansiering.tilldelade_medel
from uppfoljning
left join finansiering
    using (forbund, period_id)
where uppfoljning.insats_id = '(förbund)'
    and (uppfoljning.tilldelade_medel is distinct from finansiering.tilldelade_medel)
