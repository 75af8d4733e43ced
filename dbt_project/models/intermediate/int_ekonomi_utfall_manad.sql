-- Booked cost (utfall) per förbund, insats, kostnadsslag and month: the one place where a
-- ledger row becomes cost. A row is a cost when its konto maps to a cost category in
-- seeds/kontoplan_kostnadsslag.csv (stg_ekonomi__ledger.ar_kostnad); revenue (3xxx) and
-- financial items (8xxx) are not. Correction bookings (credits on cost accounts) are costs
-- with a negative amount and net against the month they are booked in. A booking month
-- that starts after as_of does not exist.

with

ledger as (
    select * from {{ ref('stg_ekonomi__ledger') }}
),

kostnader as (
    select
        forbund,
        insats_id,
        kostnadsslag,
        manad,
        ar,
        belopp
    from ledger
    where ar_kostnad
        and manad <= {{ as_of() }}
),

final as (
    select
        forbund::varchar as forbund,
        insats_id::varchar as insats_id,
        kostnadsslag::varchar as kostnadsslag,
        manad::date as manad,
        ar::integer as ar,
        sum(belopp)::{{ belopp_typ() }} as utfall,
        count(*)::bigint as antal_bokningar
    from kostnader
    group by forbund, insats_id, kostnadsslag, manad, ar
)

select * from final
