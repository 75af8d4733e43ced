-- Every episode's insats is in the insats register (sources.md: an unregistered Insats-ID is an
-- error); without it the episode has no trial period and no goal set, so it would be neither an
-- early dropout nor to result. Returns the unregistered (forbund, insats_id) with their episodes.
-- Shown in Dagster as an asset check on int_deltagande (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'int_deltagande'}}}) }}

with

deltagande as (
    select * from {{ ref('int_deltagande') }}
),

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
)

select deltagande.forbund, deltagande.insats_id, count(*) as episoder
from deltagande
anti join insatser
    on deltagande.forbund = insatser.forbund
    and deltagande.insats_id = insatser.insats_id
group by all
