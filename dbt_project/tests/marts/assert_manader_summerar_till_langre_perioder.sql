-- The flow counts of the months add up to every longer period that contains them (kvartal,
-- halvar, ar, rullande_12), per förbund, insats and kon: nyinskrivna, avslutade, tidiga_avhopp,
-- avslutade_till_resultat, deltagardagar and summa_dagar_avslutade (genomflode), i_mal, every
-- till_* and the step counts (resultat). A month without a row has zero flow. Returns the
-- periods and measures that do not add up.
-- Shown in Dagster as an asset check on genomflode (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'genomflode'}}}) }}

{#- the measures of both marts, for a row of genomflode joined with its row of resultat -#}
{% set matt_kolumner %}
        genomflode.forbund,
        genomflode.insats_id,
        genomflode.period_typ,
        genomflode.period_id,
        genomflode.kon,
        genomflode.period_start,
        genomflode.period_slut,
        genomflode.nyinskrivna,
        genomflode.avslutade,
        genomflode.tidiga_avhopp,
        genomflode.avslutade_till_resultat,
        genomflode.deltagardagar,
        genomflode.summa_dagar_avslutade,
        resultat.i_mal,
        resultat.till_arbete,
        resultat.till_studier,
        resultat.till_arbetslivsinriktad_rehab,
        resultat.till_aktivt_arbetssokande,
        resultat.till_sjukdom,
        resultat.till_ovrigt,
        resultat.steg_matta,
        resultat.steg_upp,
        resultat.steg_ned
{%- endset %}

with

genomflode_i_omfang as (
    {{ rows_in_nightly_scope(ref('genomflode')) }}
),

resultat_i_omfang as (
    {{ rows_in_nightly_scope(ref('resultat')) }}
),

-- In a nightly build the longer periods the night recomputed (macros/nightly_scope.sql): a
-- period that had ended at the last build, of a förbund without new files, has only months
-- that had ended too, none of them recomputed, so it adds up as it did then.
langre as (
    select {{ matt_kolumner }}
    from genomflode_i_omfang as genomflode
    inner join resultat_i_omfang as resultat
        using (forbund, insats_id, period_typ, period_id, kon)
    where genomflode.period_typ <> 'manad'
),

manader as (
    select {{ matt_kolumner }}
    from {{ ref('genomflode') }} as genomflode
    inner join {{ ref('resultat') }} as resultat
        using (forbund, insats_id, period_typ, period_id, kon)
    where genomflode.period_typ = 'manad'
),

-- wide: each longer period meets its months once, not once per measure
{% set matt_lista = [
    'nyinskrivna', 'avslutade', 'tidiga_avhopp', 'avslutade_till_resultat', 'deltagardagar',
    'summa_dagar_avslutade', 'i_mal', 'till_arbete', 'till_studier', 'till_arbetslivsinriktad_rehab',
    'till_aktivt_arbetssokande', 'till_sjukdom', 'till_ovrigt', 'steg_matta', 'steg_upp', 'steg_ned',
] %}

summor as (
    select
        langre.forbund,
        langre.insats_id,
        langre.period_typ,
        langre.period_id,
        langre.kon,
    {%- for m in matt_lista %}
        any_value(langre.{{ m }}) as {{ m }},
        coalesce(sum(manader.{{ m }}), 0) as {{ m }}_manader{{ ',' if not loop.last }}
    {%- endfor %}
    from langre
    left join manader
        on langre.forbund = manader.forbund
        and langre.insats_id = manader.insats_id
        and langre.kon = manader.kon
        and manader.period_start between langre.period_start and langre.period_slut
    group by langre.forbund, langre.insats_id, langre.period_typ, langre.period_id, langre.kon
),

jamforelse as (
    unpivot summor
    on
    {%- for m in matt_lista %}
        ({{ m }}, {{ m }}_manader) as {{ m }}{{ ',' if not loop.last }}
    {%- endfor %}
    into name matt_namn value varde, summa_av_manader
)

select *
from jamforelse
where varde <> summa_av_manader
