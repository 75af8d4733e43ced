-- Pro Capita activities per förbund, insats, period, aktivitet and kon: how many ended in the
-- period and how (fullföljandegrad, Malmö's target 90 %), and attendance (närvarograd).
-- Keys from int_aktivitet / int_aktivitet_narvaro ('(ingen insats)' / '(okänt)' for activities
-- outside every insats). Rows: every (förbund, insats, aktivitet) × every period in which one
-- of its activities was running (startdatum <= p1 and no end before p0) or had attendance,
-- × kon (Kvinna, Man, and any other value seen); zeros, not holes.

with

perioder as (
    select * from {{ ref('dim_period') }}
),

aktiviteter as (
    select * from {{ ref('int_aktivitet') }}
),

-- attendance per month: a period's hours are the sum of its months' (int_aktivitet_narvaro)
narvaro_manad as (
    select * from {{ ref('int_aktivitet_narvaro') }}
),

kon as (
    select 'Kvinna' as kon
    union select 'Man'
    union select distinct kon from aktiviteter
    union select distinct kon from narvaro_manad
),

aktivitet_perioder as (
    select distinct
        aktiviteter.forbund, aktiviteter.insats_id, aktiviteter.aktivitet,
        perioder.period_typ, perioder.period_id
    from aktiviteter
    inner join perioder
        on aktiviteter.startdatum <= perioder.period_slut_as_of
        and (aktiviteter.slutdatum is null or aktiviteter.slutdatum >= perioder.period_start)
    union
    select distinct
        narvaro_manad.forbund, narvaro_manad.insats_id, narvaro_manad.aktivitet,
        perioder.period_typ, perioder.period_id
    from narvaro_manad
    inner join perioder
        on narvaro_manad.manad between perioder.period_start and perioder.period_slut_as_of
),

rader as (
    select
        aktivitet_perioder.*,
        kon.kon,
        perioder.period_start,
        perioder.period_slut,
        perioder.period_slut_as_of
    from aktivitet_perioder
    cross join kon
    inner join perioder
        on aktivitet_perioder.period_typ = perioder.period_typ
        and aktivitet_perioder.period_id = perioder.period_id
),

-- activities that ended in the period (slutdatum is null after as_of, see int_aktivitet)
avslut as (
    select
        rader.forbund, rader.insats_id, rader.aktivitet, rader.period_typ, rader.period_id, rader.kon,
        count(*) as avslutade_aktiviteter,
        count_if(aktiviteter.status = 'Fullföljd') as fullfoljda,
        count_if(aktiviteter.status = 'Avbruten') as avbrutna
    from rader
    inner join aktiviteter
        on rader.forbund = aktiviteter.forbund
        and rader.insats_id = aktiviteter.insats_id
        and rader.aktivitet = aktiviteter.aktivitet
        and rader.kon = aktiviteter.kon
        and aktiviteter.slutdatum between rader.period_start and rader.period_slut_as_of
    group by all
),

timmar as (
    select
        rader.forbund, rader.insats_id, rader.aktivitet, rader.period_typ, rader.period_id, rader.kon,
        sum(narvaro_manad.planerade_timmar) as planerade_timmar,
        sum(narvaro_manad.narvarotimmar) as narvarotimmar
    from rader
    inner join narvaro_manad
        on rader.forbund = narvaro_manad.forbund
        and rader.insats_id = narvaro_manad.insats_id
        and rader.aktivitet = narvaro_manad.aktivitet
        and rader.kon = narvaro_manad.kon
        and narvaro_manad.manad between rader.period_start and rader.period_slut_as_of
    group by all
),

final as (
    select
        -- key
        rader.forbund::varchar as forbund,
        rader.insats_id::varchar as insats_id,
        rader.period_typ::varchar as period_typ,
        rader.period_id::varchar as period_id,
        rader.aktivitet::varchar as aktivitet,
        rader.kon::varchar as kon,
        rader.period_start::date as period_start,
        rader.period_slut::date as period_slut,

        -- completion
        coalesce(avslut.avslutade_aktiviteter, 0)::bigint as avslutade_aktiviteter,
        coalesce(avslut.fullfoljda, 0)::bigint as fullfoljda,
        coalesce(avslut.avbrutna, 0)::bigint as avbrutna,
        (avslut.fullfoljda / nullif(avslut.fullfoljda + avslut.avbrutna, 0))::double as fullfoljandegrad,

        -- attendance
        coalesce(timmar.planerade_timmar, 0)::double as planerade_timmar,
        coalesce(timmar.narvarotimmar, 0)::double as narvarotimmar,
        (timmar.narvarotimmar / nullif(timmar.planerade_timmar, 0))::double as narvarograd

    from rader
    left join avslut
        on rader.forbund = avslut.forbund
        and rader.insats_id = avslut.insats_id
        and rader.aktivitet = avslut.aktivitet
        and rader.period_typ = avslut.period_typ
        and rader.period_id = avslut.period_id
        and rader.kon = avslut.kon
    left join timmar
        on rader.forbund = timmar.forbund
        and rader.insats_id = timmar.insats_id
        and rader.aktivitet = timmar.aktivitet
        and rader.period_typ = timmar.period_typ
        and rader.period_id = timmar.period_id
        and rader.kon = timmar.kon
)

select * from final
