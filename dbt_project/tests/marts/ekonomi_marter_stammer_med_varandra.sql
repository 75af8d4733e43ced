-- The money marts agree with each other and with the participant marts: enhetskostnad's and
-- samhallsekonomi's utfall_period is ekonomi's summed over kostnadsslag (for the period types
-- ekonomi has), both have the same rows, samhallsekonomi's avslutade_till_resultat and
-- enhetskostnad's arsplatser_nyttjade and i_mal are genomflode's and resultat's summed over
-- kon. Returns the disagreements.
-- Shown in Dagster as an asset check on ekonomi (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'ekonomi'}}}) }}

{#- In a nightly build the rows of the periods the night recomputed (macros/nightly_scope.sql),
    the same periods on every side. samhallsekonomi recomputes the most of them (försörjningsstöd
    measured for months after an episode ended), so its scope is every side's: a period outside
    it is one no mart changed. -#}
{% set months_back = (nightly_scope_config_of(ref('samhallsekonomi')) or {}).get('months_back', 0) %}

with

ekonomi as (
    select forbund, insats_id, period_typ, period_id, sum(utfall_period) as utfall_period
    from ({{ rows_in_nightly_scope(ref('ekonomi'), months_back) }}) as i_omfang
    group by all
),

enhetskostnad as (
    {{ rows_in_nightly_scope(ref('enhetskostnad'), months_back) }}
),

samhallsekonomi as (
    {{ rows_in_nightly_scope(ref('samhallsekonomi'), months_back) }}
),

genomflode as (
    select
        forbund, insats_id, period_typ, period_id,
        sum(avslutade_till_resultat) as avslutade_till_resultat,
        sum(arsplatser_nyttjade) as arsplatser_nyttjade
    from ({{ rows_in_nightly_scope(ref('genomflode'), months_back) }}) as i_omfang
    group by all
),

resultat as (
    select forbund, insats_id, period_typ, period_id, sum(i_mal) as i_mal
    from ({{ rows_in_nightly_scope(ref('resultat'), months_back) }}) as i_omfang
    group by all
),

skillnader as (
    select
        'utfall enhetskostnad mot ekonomi' as kontroll, e.forbund, e.insats_id, e.period_typ, e.period_id,
        e.utfall_period as varde, coalesce(ekonomi.utfall_period, 0) as jamfort_med
    from enhetskostnad as e
    left join ekonomi using (forbund, insats_id, period_typ, period_id)
    where e.period_typ <> 'rullande_12'
        and abs(e.utfall_period - coalesce(ekonomi.utfall_period, 0)) >= 0.005

    union all

    select
        'utfall ekonomi utan enhetskostnad', ekonomi.forbund, ekonomi.insats_id, ekonomi.period_typ,
        ekonomi.period_id, ekonomi.utfall_period, null
    from ekonomi
    anti join enhetskostnad using (forbund, insats_id, period_typ, period_id)
    where ekonomi.utfall_period <> 0

    union all

    select
        'samhallsekonomi mot enhetskostnad', coalesce(s.forbund, e.forbund), coalesce(s.insats_id, e.insats_id),
        coalesce(s.period_typ, e.period_typ), coalesce(s.period_id, e.period_id), s.utfall_period, e.utfall_period
    from samhallsekonomi as s
    full outer join enhetskostnad as e using (forbund, insats_id, period_typ, period_id)
    where s.utfall_period is distinct from e.utfall_period

    union all

    select
        'avslutade_till_resultat mot genomflode', s.forbund, s.insats_id, s.period_typ, s.period_id,
        s.avslutade_till_resultat, coalesce(g.avslutade_till_resultat, 0)
    from samhallsekonomi as s
    left join genomflode as g using (forbund, insats_id, period_typ, period_id)
    where s.avslutade_till_resultat <> coalesce(g.avslutade_till_resultat, 0)

    union all

    select
        'arsplatser_nyttjade mot genomflode', e.forbund, e.insats_id, e.period_typ, e.period_id,
        e.arsplatser_nyttjade, coalesce(g.arsplatser_nyttjade, 0)
    from enhetskostnad as e
    left join genomflode as g using (forbund, insats_id, period_typ, period_id)
    where abs(e.arsplatser_nyttjade - coalesce(g.arsplatser_nyttjade, 0)) >= 1e-9

    union all

    select
        'i_mal mot resultat', e.forbund, e.insats_id, e.period_typ, e.period_id,
        e.i_mal, coalesce(r.i_mal, 0)
    from enhetskostnad as e
    left join resultat as r using (forbund, insats_id, period_typ, period_id)
    where e.i_mal <> coalesce(r.i_mal, 0)

    union all

    select 'genomflode utan enhetskostnad', g.forbund, g.insats_id, g.period_typ, g.period_id, null, null
    from genomflode as g
    anti join enhetskostnad using (forbund, insats_id, period_typ, period_id)
)

select * from skillnader
