-- utfallsmappning must give every episode exactly one winning row: rows that share a prioritet
-- must all look at the same field (two fields could both match one episode), and a `*` row must
-- be alone at its prioritet (it would tie with every specific row there). Returns offending
-- prioritet values.
select
    prioritet,
    count(distinct falt) as antal_falt,
    count(*) filter (where varde = '*') as antal_stjarnrader,
    count(*) as antal_rader
from {{ ref('utfallsmappning') }}
group by prioritet
having count(distinct falt) > 1
    or (count(*) filter (where varde = '*') > 0 and count(*) > 1)
