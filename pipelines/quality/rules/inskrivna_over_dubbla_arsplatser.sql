-- name: inskrivna_over_dubbla_arsplatser
-- asset: marts/genomflode
-- reads: marts/dim_insats
-- severity: WARN
-- why: More people enrolled at a month's end than twice the insats' årsplatser is suspicious (episodes never closed, or a wrong capacity in the register), but can be real during a ramp-up; 2× leaves room for normal over-booking.
--
-- Months where the stock of enrolled people (inskrivna_vid_periodslut, all kon) exceeds
-- 2 × årsplatser of an insats with a registered capacity.

select
    genomflode.forbund,
    genomflode.insats_id,
    genomflode.period_id,
    sum(genomflode.inskrivna_vid_periodslut) as inskrivna_vid_periodslut,
    insats.arsplatser
from marts.genomflode as genomflode
inner join marts.dim_insats as insats
    on genomflode.forbund = insats.forbund
    and genomflode.insats_id = insats.insats_id
where genomflode.period_typ = 'manad'
    and insats.arsplatser is not null
group by genomflode.forbund, genomflode.insats_id, genomflode.period_id, insats.arsplatser
having sum(genomflode.inskrivna_vid_periodslut) > 2 * insats.arsplatser
order by genomflode.forbund, genomflode.insats_id, genomflode.period_id
