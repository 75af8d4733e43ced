-- Pro Capita activities per förbund, insats, period, aktivitet and kon: how many ended in the
-- period and how (fullföljandegrad, Malmö's target 90 %), and attendance (närvarograd).
-- Keys from int_aktivitet / int_aktivitet_narvaro ('(ingen insats)' / '(okänt)' for activities
-- outside every insats). Rows: every (förbund, insats, aktivitet) × every period in which one
-- of its activities was running (startdatum <= p1 and no end before p0) or had attendance,
-- × kon (Kvinna, Man, and any other value seen); zeros, not holes.

-- Incremental: a night recomputes only its rows in scope (macros/nightly_scope.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='nightly_scope',
    nightly_scope={'forbund': 'forbund', 'period_slut': 'period_slut'},
    on_schema_change='fail',
) }}

with

perioder as (
    select * from {{ ref('dim_period') }}
),

-- the months of each period: events per month add up to any period (int_period_manader)
period_manader as (
    select * from {{ ref('int_period_manader') }}
),

aktiviteter as (
    {{ nightly_scope_rows(ref('int_aktivitet'), 'forbund', active_until='slutdatum') }}
),

-- attendance per month: a period's hours are the sum of its months' (int_aktivitet_narvaro)
narvaro_manad as (
    {{ nightly_scope_rows(ref('int_aktivitet_narvaro'), 'forbund', active_until='manad') }}
),

-- every kon in the data, also on a night that reads only some of it
kon as (
    select 'Kvinna' as kon
    union select 'Man'
    union select distinct kon from {{ ref('int_aktivitet') }}
    union select distinct kon from {{ ref('int_aktivitet_narvaro') }}
),

aktivitet_perioder as (
    select distinct
        aktiviteter.forbund, aktiviteter.insats_id, aktiviteter.aktivitet,
        perioder.period_typ, perioder.period_id
    from aktiviteter
    inner join perioder
        on aktiviteter.startdatum <= perioder.period_slut_as_of
        and coalesce(aktiviteter.slutdatum, '9999-12-31'::date) >= perioder.period_start
    union
    select distinct
        narvaro_manad.forbund, narvaro_manad.insats_id, narvaro_manad.aktivitet,
        period_manader.period_typ, period_manader.period_id
    from narvaro_manad
    inner join period_manader
        on narvaro_manad.manad = period_manader.manad
    -- in a night, only the sums of rows in scope: the final select keeps no other
    where {{ in_nightly_scope('narvaro_manad.forbund', 'period_manader.period_slut') }}
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

-- activities that ended in the period (slutdatum is null after as_of, see int_aktivitet):
-- counted per end month, then summed over the period's months
avslut_manad as (
    select
        forbund, insats_id, aktivitet, kon,
        cast(date_trunc('month', slutdatum) as date) as manad,
        count(*) as avslutade_aktiviteter,
        count_if(status = 'Fullföljd') as fullfoljda,
        count_if(status = 'Avbruten') as avbrutna
    from aktiviteter
    where slutdatum is not null
    group by all
),

avslut as (
    select
        avslut_manad.forbund, avslut_manad.insats_id, avslut_manad.aktivitet,
        period_manader.period_typ, period_manader.period_id, avslut_manad.kon,
        sum(avslut_manad.avslutade_aktiviteter) as avslutade_aktiviteter,
        sum(avslut_manad.fullfoljda) as fullfoljda,
        sum(avslut_manad.avbrutna) as avbrutna
    from avslut_manad
    inner join period_manader
        on avslut_manad.manad = period_manader.manad
    -- in a night, only the sums of rows in scope: the final select keeps no other
    where {{ in_nightly_scope('avslut_manad.forbund', 'period_manader.period_slut') }}
    group by all
),

timmar as (
    select
        narvaro_manad.forbund, narvaro_manad.insats_id, narvaro_manad.aktivitet,
        period_manader.period_typ, period_manader.period_id, narvaro_manad.kon,
        sum(narvaro_manad.planerade_timmar) as planerade_timmar,
        sum(narvaro_manad.narvarotimmar) as narvarotimmar
    from narvaro_manad
    inner join period_manader
        on narvaro_manad.manad = period_manader.manad
    -- in a night, only the sums of rows in scope: the final select keeps no other
    where {{ in_nightly_scope('narvaro_manad.forbund', 'period_manader.period_slut') }}
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
where {{ in_nightly_scope('forbund', 'period_slut') }}
