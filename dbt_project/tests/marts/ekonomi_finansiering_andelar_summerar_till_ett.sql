-- In finansiering, the members' shares of a förbund's year add up to 1 and their amounts to the
-- year's total. Returns the förbund and years that do not.

select forbund, ar, sum(andel) as summa_andelar, sum(belopp) as summa_belopp, max(belopp_totalt) as belopp_totalt
from {{ ref('finansiering') }}
group by forbund, ar
having max(belopp_totalt) > 0
    and (abs(sum(andel) - 1) >= 1e-9 or abs(sum(belopp) - max(belopp_totalt)) >= 0.005)
