-- The yearly registration figures of Uppföljning Finsam, per förbund, insats and year: what a
-- förbund registers by hand since 2023 (per insats budget, utfall, budgeted participants,
-- participants by sex, inriktning, målgrupp; for the förbund its allotted funds and the
-- administration's budget and utfall). Each figure is another mart's, read here, never
-- recomputed: budget and utfall from ekonomi's `ar` rows, the anonymous participants from
-- genomflode; only the count of distinct persons per sex is new, counted as enhetskostnad counts
-- them. insats_id '(förbund)' carries the administration and tilldelade_medel.

with

perioder as (
    select * from {{ ref('dim_period') }}
    where period_typ = 'ar'
),

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

insats_perioder as (
    select * from {{ ref('int_insats_perioder') }}
    where period_typ = 'ar'
),

deltagande_period as (
    select * from {{ ref('int_deltagande_period') }}
    where period_typ = 'ar'
),

genomflode as (
    select * from {{ ref('genomflode') }}
    where period_typ = 'ar'
),

ekonomi as (
    select * from {{ ref('ekonomi') }}
    where period_typ = 'ar'
),

finansiering as (
    select * from {{ ref('finansiering') }}
),

-- the rows: every insats in every year it ran or had money, and the förbund itself in every
-- year the förbund has any row or allotted funds
insats_rader as (
    select forbund, insats_id, period_id from insats_perioder
    union
    select forbund, insats_id, period_id from ekonomi
),

rader as (
    select forbund, insats_id, period_id from insats_rader
    union
    select forbund, '(förbund)', period_id from insats_rader
    union
    select finansiering.forbund, '(förbund)', finansiering.period_id
    from finansiering
    inner join perioder
        on finansiering.period_id = perioder.period_id
),

pengar as (
    -- the marts' doubles back to exact amounts before they are added: the same inputs, the same bits
    select
        forbund, insats_id, period_id,
        sum(budget::{{ belopp_typ() }}) as budget,
        sum(utfall_period::{{ belopp_typ() }}) as utfall
    from ekonomi
    group by all
),

tilldelat as (
    select forbund, period_id, sum(belopp::{{ belopp_typ() }}) as tilldelade_medel
    from finansiering
    group by all
),

-- distinct persons with an aktiv episode in the year, per sex: an episode of a person with no
-- other episode in the insats is one person, only the others need a distinct count
personer as (
    select
        forbund,
        insats_id,
        period_id,
        kon,
        count(*) filter (where not flera_deltaganden_i_insatsen)
        + count(distinct person_id) filter (where flera_deltaganden_i_insatsen) as personer
    from deltagande_period
    group by all
),

anonyma as (
    select
        forbund,
        insats_id,
        period_id,
        sum(anonyma) filter (where kon = 'Kvinna') as anonyma_kvinnor,
        sum(anonyma) filter (where kon = 'Man') as anonyma_man
    from genomflode
    group by all
),

deltagare as (
    select
        forbund,
        insats_id,
        period_id,
        sum(personer) filter (where kon = 'Kvinna') as personer_kvinnor,
        sum(personer) filter (where kon = 'Man') as personer_man,
        sum(personer) filter (where kon = 'Okänt') as personer_okant_kon
    from personer
    group by all
),

matt as (
    select
        rader.forbund,
        rader.insats_id,
        rader.period_id,
        perioder.period_start,
        perioder.period_slut,
        case when rader.insats_id = '(förbund)' then 'Förbundets administration' else insatser.insatsnamn end
            as insatsnamn,
        insatser.inriktning,
        insatser.malgrupp,
        insatser.budgeterat_antal_deltagare,
        coalesce(pengar.budget, 0) as budget,
        coalesce(pengar.utfall, 0) as utfall,
        coalesce(anonyma.anonyma_kvinnor, 0) as anonyma_kvinnor,
        coalesce(anonyma.anonyma_man, 0) as anonyma_man,
        coalesce(deltagare.personer_kvinnor, 0) + coalesce(anonyma.anonyma_kvinnor, 0) as deltagare_kvinnor,
        coalesce(deltagare.personer_man, 0) + coalesce(anonyma.anonyma_man, 0) as deltagare_man,
        coalesce(deltagare.personer_okant_kon, 0) as deltagare_okant_kon,
        case when rader.insats_id = '(förbund)' then tilldelat.tilldelade_medel end as tilldelade_medel
    from rader
    inner join perioder
        on rader.period_id = perioder.period_id
    left join insatser
        on rader.forbund = insatser.forbund
        and rader.insats_id = insatser.insats_id
    left join pengar
        on rader.forbund = pengar.forbund
        and rader.insats_id = pengar.insats_id
        and rader.period_id = pengar.period_id
    left join anonyma
        on rader.forbund = anonyma.forbund
        and rader.insats_id = anonyma.insats_id
        and rader.period_id = anonyma.period_id
    left join deltagare
        on rader.forbund = deltagare.forbund
        and rader.insats_id = deltagare.insats_id
        and rader.period_id = deltagare.period_id
    left join tilldelat
        on rader.forbund = tilldelat.forbund
        and rader.period_id = tilldelat.period_id
),

final as (
    select
        -- key
        forbund::varchar as forbund,
        insats_id::varchar as insats_id,
        'ar'::varchar as period_typ,
        period_id::varchar as period_id,
        period_start::date as period_start,
        period_slut::date as period_slut,

        -- the insats as registered
        insatsnamn::varchar as insatsnamn,
        inriktning::varchar as inriktning,
        malgrupp::varchar as malgrupp,
        budgeterat_antal_deltagare::integer as budgeterat_antal_deltagare,

        -- money
        budget::double as budget,
        utfall::double as utfall,

        -- participants
        deltagare_kvinnor::bigint as deltagare_kvinnor,
        deltagare_man::bigint as deltagare_man,
        deltagare_okant_kon::bigint as deltagare_okant_kon,
        (deltagare_kvinnor + deltagare_man + deltagare_okant_kon)::bigint as deltagare_totalt,
        anonyma_kvinnor::bigint as anonyma_kvinnor,
        anonyma_man::bigint as anonyma_man,

        -- the förbund's allotted funds ('(förbund)' rows only)
        tilldelade_medel::double as tilldelade_medel
    from matt
)

select * from final
