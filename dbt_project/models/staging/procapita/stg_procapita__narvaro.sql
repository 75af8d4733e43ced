-- Attendance per person, activity and day. Additive by month: per month the rows of the newest
-- file containing that month.

with

source as (
    {{ newest_file_rows(source('procapita', 'procapita_narvaro'), ['_period_month']) }}
),

final as (
    select
        -- person
        person_id,
        kon_personnummer as kon,

        -- attendance
        aktivitet,
        datum,
        cast(planerade_timmar as double) as planerade_timmar,
        cast(narvarotimmar as double) as narvarotimmar,
        {{ normalise_code('franvaroorsak', 'franvaroorsak') }} as franvaroorsak,

        -- lineage
        _source_file
    from source
)

select * from final
