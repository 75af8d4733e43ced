-- Every SUS episode of the newest file per (forbund, insats_id), codes normalised, including
-- Felregistrering episodes. Only stg_sus__deltagare and stg_sus__felregistreringar read this.
--
-- A table, not a view like most of staging: it is the biggest input of its kind (1 M episodes at
-- national scale, with the code lookups), and its data tests and the models that read it would
-- each evaluate the view again.
-- Incremental: a night recomputes only the förbund with a new export (macros/nightly_scope.sql).
{{ config(materialized='incremental', incremental_strategy='nightly_scope', nightly_scope={'forbund': 'forbund'}) }}

with

source as (
    {{ newest_file_rows(
        '(' ~ nightly_scope_rows(source('sus', 'sus_deltagare'), 'forbund') ~ ')', ['forbund', 'insats_id']
    ) }}
),

normalised as (
    select
        -- ids
        md5(concat_ws('|', forbund, insats_id, person_id, cast(startdatum as varchar))) as deltagande_id,
        forbund,
        insats_id,
        insatsnamn,
        person_id,

        -- person
        fodelsedatum,
        coalesce({{ normalise_code('kon', 'kon') }}, kon_personnummer) as kon,

        -- episode
        startdatum,
        slutdatum,
        {{ normalise_code('avslutsanledning', 'avslutsanledning') }} as avslutsanledning,
        {{ normalise_code('sysselsattning_efter', 'sysselsattning_efter') }} as sysselsattning_efter,

        -- income sources and background
        {{ normalise_code_list('forsorjning_fore', 'forsorjning') }} as forsorjning_fore,
        {{ normalise_code_list('forsorjning_efter', 'forsorjning') }} as forsorjning_efter,
        {{ normalise_code('tid_i_offentlig_forsorjning', 'tid_i_offentlig_forsorjning') }}
            as tid_i_offentlig_forsorjning,
        {{ normalise_code('utbildningsniva', 'utbildningsniva') }} as utbildningsniva,
        {{ normalise_code('remittent', 'remittent') }} as remittent,

        -- lineage
        _source_file,
        _sha256,
        _row_number
    from source
),

final as (
    select
        *,
        coalesce(avslutsanledning = 'Felregistrering', false) as ar_felregistrering
    from normalised
)

select * from final
