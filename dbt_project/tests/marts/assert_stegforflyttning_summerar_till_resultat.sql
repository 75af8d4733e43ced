-- stegforflyttning is resultat's step counts split by (start step, end step): per insats,
-- period and kon Σ antal = steg_matta, the cells above the diagonal (steg_slut > steg_start)
-- sum to steg_upp and those below to steg_ned. Returns the rows that do not add up, also a
-- transition on a key resultat does not have.
-- Shown in Dagster as an asset check on stegforflyttning (it reads two models).
{{ config(meta={'dagster': {'ref': {'name': 'stegforflyttning'}}}) }}

with

resultat as (
    select * from {{ ref('resultat') }}
    where steg_matta > 0
),

summor as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        kon,
        sum(antal) as steg_matta,
        sum(antal) filter (where steg_slut > steg_start) as steg_upp,
        sum(antal) filter (where steg_slut < steg_start) as steg_ned
    from {{ ref('stegforflyttning') }}
    group by all
)

select
    coalesce(resultat.forbund, summor.forbund) as forbund,
    coalesce(resultat.insats_id, summor.insats_id) as insats_id,
    coalesce(resultat.period_typ, summor.period_typ) as period_typ,
    coalesce(resultat.period_id, summor.period_id) as period_id,
    coalesce(resultat.kon, summor.kon) as kon,
    resultat.steg_matta as resultat_steg_matta,
    summor.steg_matta as overgang_steg_matta,
    resultat.steg_upp as resultat_steg_upp,
    summor.steg_upp as overgang_steg_upp,
    resultat.steg_ned as resultat_steg_ned,
    summor.steg_ned as overgang_steg_ned
from resultat
full outer join summor
    using (forbund, insats_id, period_typ, period_id, kon)
where resultat.steg_matta is distinct from summor.steg_matta
    or coalesce(resultat.steg_upp, 0) <> coalesce(summor.steg_upp, 0)
    or coalesce(resultat.steg_ned, 0) <> coalesce(summor.steg_ned, 0)
