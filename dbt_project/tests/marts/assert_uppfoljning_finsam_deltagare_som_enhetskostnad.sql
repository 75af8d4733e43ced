-- The persons counted in uppfoljning_finsam (its participants less the anonymous ones, summed
-- over sex) are enhetskostnad's aktiva_personer of the year. They differ only when one person's
-- episodes in one insats are registered with different sex: that person then counts once per
-- sex here. A warning, since it is a registration to correct, not a wrong sum.
-- Shown in Dagster as an asset check on uppfoljning_finsam (it reads two models).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'uppfoljning_finsam'}}}) }}

select
    uppfoljning.forbund,
    uppfoljning.insats_id,
    uppfoljning.period_id,
    uppfoljning.deltagare_totalt - uppfoljning.anonyma_kvinnor - uppfoljning.anonyma_man as personer,
    enhetskostnad.aktiva_personer
from {{ ref('uppfoljning_finsam') }} as uppfoljning
inner join {{ ref('enhetskostnad') }} as enhetskostnad
    on uppfoljning.forbund = enhetskostnad.forbund
    and uppfoljning.insats_id = enhetskostnad.insats_id
    and enhetskostnad.period_typ = 'ar'
    and uppfoljning.period_id = enhetskostnad.period_id
where uppfoljning.deltagare_totalt - uppfoljning.anonyma_kvinnor - uppfoljning.anonyma_man
    <> enhetskostnad.aktiva_personer
