-- Attendance per person, activity and day. Additive by month: per month the rows of the newest
-- file containing that month.
--
-- A table, not a view like most of staging: it is the biggest input of its kind (20 M rows at
-- national scale), and its data tests and the models that read it would each evaluate the view
-- again.
-- Incremental: a night has no new file of this kind (that would make the build full), so a
-- nightly run keeps the table as it is (macros/nightly_scope.sql).
{{ config(materialized='incremental', incremental_strategy='nightly_scope', nightly_scope={'forbund': none}) }}

with

source as (
    {{ newest_file_rows(
        '(' ~ nightly_scope_rows(source('procapita', 'procapita_narvaro'), none) ~ ')', ['_period_month']
    ) }}
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
