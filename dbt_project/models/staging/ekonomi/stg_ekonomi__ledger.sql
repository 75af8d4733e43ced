-- Booked ledger rows. Additive by month: per month the rows of the newest file containing that
-- month. Each row gets its förbund, its insats ('(förbund)' when Projekt is empty) and its
-- kostnadsslag from the account-range seed (lowest prioritet wins where ranges overlap).
--
-- A table, not a view like most of staging: it is the biggest input of its kind (2 M rows at
-- national scale), and its data tests and the models that read it would each evaluate the view
-- again.
-- Incremental: a night has no new ledger file or register (either makes the build full), so a
-- nightly run keeps the table as it is (macros/nightly_scope.sql).
{{ config(materialized='incremental', incremental_strategy='nightly_scope', nightly_scope={'forbund': none}) }}

with

source as (
    {{ newest_file_rows('(' ~ nightly_scope_rows(source('ekonomi', 'ledger'), none) ~ ')', ['_period_month']) }}
),

insatser as (
    select * from {{ ref('stg_forbund__insatser') }}
),

-- The förbund that registered each insats. insats_id is unique in the register (tested); the
-- grouping makes sure a broken register can never duplicate ledger rows.
registrerande_forbund as (
    select insats_id, min(forbund) as forbund
    from insatser
    group by insats_id
),

kontoplan as (
    select * from {{ ref('kontoplan_kostnadsslag') }}
),

ledger_rows as (
    select
        nullif(trim(forbund), '') as forbund_angivet,
        nullif(trim(projekt), '') as projekt,
        cast(date_trunc('month', period) as date) as manad,
        cast(konto as integer) as konto,
        kontobenamning,
        cast(belopp as {{ belopp_typ() }}) as belopp,
        _source_file,
        _sha256,
        _row_number
    from source
),

-- One kostnadsslag per konto: of the ranges containing it, the lowest prioritet, then the
-- narrowest range (the seed's tests forbid ties at the lowest prioritet).
konto_mapping as (
    select
        konton.konto,
        kontoplan.kostnadsslag,
        kontoplan.ar_kostnad
    from (select distinct konto from ledger_rows) as konton
    inner join kontoplan
        on konton.konto between kontoplan.konto_fran and kontoplan.konto_till
    qualify row_number() over (
            partition by konton.konto
            order by kontoplan.prioritet, kontoplan.konto_till - kontoplan.konto_fran, kontoplan.konto_fran
        ) = 1
),

final as (
    select
        -- who and what
        coalesce(ledger_rows.forbund_angivet, registrerande_forbund.forbund) as forbund,
        coalesce(ledger_rows.projekt, '(förbund)') as insats_id,

        -- when
        ledger_rows.manad,
        cast(year(ledger_rows.manad) as integer) as ar,

        -- account
        ledger_rows.konto,
        ledger_rows.kontobenamning,
        konto_mapping.kostnadsslag,
        konto_mapping.ar_kostnad,

        -- amount
        ledger_rows.belopp,

        -- lineage
        ledger_rows._source_file,
        ledger_rows._sha256,
        ledger_rows._row_number
    from ledger_rows
    left join registrerande_forbund
        on ledger_rows.projekt = registrerande_forbund.insats_id
    left join konto_mapping
        on ledger_rows.konto = konto_mapping.konto
)

select * from final
