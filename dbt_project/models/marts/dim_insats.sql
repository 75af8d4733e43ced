-- The insats register as the marts use it: one row per (forbund, insats_id). An insats that
-- starts after as_of does not exist yet.

with

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

final as (
    select
        forbund::varchar as forbund,
        insats_id::varchar as insats_id,
        insatsnamn::varchar as insatsnamn,
        startdatum::date as startdatum,
        slutdatum::date as slutdatum,
        arsplatser::double as arsplatser,
        provotid_dagar::integer as provotid_dagar,
        malutfall::varchar[] as malutfall
    from insatser
    where startdatum <= {{ as_of() }}
)

select * from final
