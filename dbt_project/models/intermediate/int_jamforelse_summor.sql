-- The sums behind each förbund's comparison measures, per förbund, halvår / år and measure:
-- numerator (taljare) and denominator (namnare), each summed over all the förbund's insatser
-- and both sexes from the marts that define them. jamforelse divides them, so a förbund's
-- measure is a ratio of sums, never a mean of its insatser's ratios.

with

genomflode as (
    select * from {{ ref('genomflode') }}
    where period_typ in ('halvar', 'ar')
),

resultat as (
    select * from {{ ref('resultat') }}
    where period_typ in ('halvar', 'ar')
),

enhetskostnad as (
    select * from {{ ref('enhetskostnad') }}
    where period_typ in ('halvar', 'ar')
        and insats_id <> '(förbund)'
),

-- capacity: insatser with registered årsplatser, their place-days in the period
kapacitet as (
    select distinct forbund, insats_id, period_typ, period_id, arsplatser, dagar_i_period
    from {{ ref('int_insats_perioder') }}
    where period_typ in ('halvar', 'ar')
        and arsplatser > 0
),

flode as (
    select
        forbund,
        period_typ,
        period_id,
        sum(tidiga_avhopp) as tidiga_avhopp,
        sum(avslutade) as avslutade,
        sum(summa_dagar_avslutade) as summa_dagar_avslutade
    from genomflode
    group by all
),

dagar as (
    select
        forbund,
        insats_id,
        period_typ,
        period_id,
        sum(deltagardagar) as deltagardagar
    from genomflode
    group by all
),

belaggning as (
    select
        kapacitet.forbund,
        kapacitet.period_typ,
        kapacitet.period_id,
        sum(dagar.deltagardagar) as deltagardagar,
        -- as exact decimals: a sum of doubles depends on the order DuckDB's threads add them in
        sum((kapacitet.arsplatser * kapacitet.dagar_i_period)::decimal(18, 4)) as platsdagar
    from kapacitet
    inner join dagar
        on kapacitet.forbund = dagar.forbund
        and kapacitet.insats_id = dagar.insats_id
        and kapacitet.period_typ = dagar.period_typ
        and kapacitet.period_id = dagar.period_id
    group by all
),

utfall as (
    select
        forbund,
        period_typ,
        period_id,
        sum(i_mal) as i_mal,
        sum(avslutade_till_resultat) as avslutade_till_resultat,
        {{ dagar_till_manader('sum(summa_dagar_i_mal)') }} as summa_manader_i_mal,
        sum(steg_upp) as steg_upp,
        sum(steg_matta) as steg_matta
    from resultat
    group by all
),

kostnad as (
    select
        forbund, period_typ, period_id,
        sum(utfall_period::{{ belopp_typ() }}) as utfall_period,
        sum(aktiva_personer) as aktiva_personer
    from enhetskostnad
    group by all
),

-- every förbund and period with a participant or money row has all seven measures (0 / 0 where
-- nothing was counted), so a missing measure is never mistaken for a missing förbund
forbund_perioder as (
    select forbund, period_typ, period_id from genomflode
    union
    select forbund, period_typ, period_id from enhetskostnad
),

summor as (
    select
        forbund_perioder.forbund,
        forbund_perioder.period_typ,
        forbund_perioder.period_id,
        coalesce(utfall.i_mal, 0) as i_mal,
        coalesce(utfall.avslutade_till_resultat, 0) as avslutade_till_resultat,
        coalesce(utfall.summa_manader_i_mal, 0) as summa_manader_i_mal,
        coalesce(utfall.steg_upp, 0) as steg_upp,
        coalesce(utfall.steg_matta, 0) as steg_matta,
        coalesce(flode.tidiga_avhopp, 0) as tidiga_avhopp,
        coalesce(flode.avslutade, 0) as avslutade,
        coalesce(flode.summa_dagar_avslutade, 0) as summa_dagar_avslutade,
        coalesce(belaggning.deltagardagar, 0) as deltagardagar,
        coalesce(belaggning.platsdagar, 0) as platsdagar,
        coalesce(kostnad.utfall_period, 0) as utfall_period,
        coalesce(kostnad.aktiva_personer, 0) as aktiva_personer
    from forbund_perioder
    left join utfall using (forbund, period_typ, period_id)
    left join flode using (forbund, period_typ, period_id)
    left join belaggning using (forbund, period_typ, period_id)
    left join kostnad using (forbund, period_typ, period_id)
),

final as (
    select
        summor.forbund,
        summor.period_typ,
        summor.period_id,
        matt.matt::varchar as matt,
        matt.taljare::double as taljare,
        matt.namnare::double as namnare
    from summor
    cross join lateral (
        values
        ('andel_i_mal', summor.i_mal, summor.avslutade_till_resultat),
        ('andel_tidiga_avhopp', summor.tidiga_avhopp, summor.avslutade),
        ('belaggningsgrad', summor.deltagardagar, summor.platsdagar),
        ('genomstromningstid_man', summor.summa_manader_i_mal, summor.i_mal),
        ('kostnad_per_deltagare', summor.utfall_period, summor.aktiva_personer),
        ('andel_steg_upp', summor.steg_upp, summor.steg_matta),
        ('snittid_avslutade_dagar', summor.summa_dagar_avslutade, summor.avslutade)
    ) as matt (matt, taljare, namnare)
)

select * from final
