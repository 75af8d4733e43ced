-- Social-assistance payments per person and month. Socialstyrelsen's layout has one row per
-- household with up to two persons; the household's payment (Sbel) belongs to both, so each
-- household row becomes one row for the applicant and one for the co-applicant, each carrying
-- the full Sbel. Never add belopp over the persons of one household: that counts it twice.
--
-- A table, not a view like most of staging: it is the biggest input of its kind (8 M rows at
-- national scale), and its data tests and the models that read it would each evaluate the view
-- again.
-- Incremental: a night has no new file of this kind (that would make the build full), so a
-- nightly run keeps the table as it is (macros/nightly_scope.sql).
{{ config(materialized='incremental', incremental_strategy='nightly_scope', nightly_scope={'forbund': none}) }}

with

source as (
    {{ newest_file_rows(
        '(' ~ nightly_scope_rows(source('procapita', 'procapita_ekonomiskt_bistand'), none) ~ ')', ['_period_month']
    ) }}
),

household_rows as (
    select
        cast(make_date(cast(ar as integer), cast(manad as integer), 1) as date) as manad,
        kommun,
        person_id_1,
        person_id_2,
        cast(sbel as {{ belopp_typ() }}) as sbel,
        _source_file
    from source
),

persons as (
    select manad, kommun, person_id_1 as person_id, 'sokande' as hushall_roll, sbel, _source_file
    from household_rows

    union all

    select manad, kommun, person_id_2 as person_id, 'medsokande' as hushall_roll, sbel, _source_file
    from household_rows
    where person_id_2 is not null
        and person_id_2 <> person_id_1
),

-- A person is normally in one household row per month. Should an export hold more (e.g. a
-- supplementary payment), the amounts are added and kommun is the one of the largest payment:
-- the grain stays person and month.
final as (
    select
        manad,
        first(kommun order by sbel desc, kommun asc) as kommun,
        person_id,
        case when bool_or(hushall_roll = 'sokande') then 'sokande' else 'medsokande' end as hushall_roll,
        sum(sbel) as belopp,
        count(*) as antal_hushallsrader,
        any_value(_source_file) as _source_file
    from persons
    group by manad, person_id
)

select * from final
