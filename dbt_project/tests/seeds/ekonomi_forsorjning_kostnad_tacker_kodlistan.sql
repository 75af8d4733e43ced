-- Every income source of list `forsorjning` (kodlistor.csv) has a row in the parameter seed
-- forsorjning_kostnad_per_manad: without one, an episode with that source could not be
-- estimated in samhallsekonomi. Returns the codes that lack a cost.

with

koder as (
    select kod from {{ ref('kodlistor') }} where kodlista = 'forsorjning'
),

kostnader as (
    select * from {{ ref('forsorjning_kostnad_per_manad') }}
)

select koder.kod as forsorjningskalla_utan_kostnad
from koder
anti join kostnader
    on koder.kod = kostnader.forsorjningskalla
