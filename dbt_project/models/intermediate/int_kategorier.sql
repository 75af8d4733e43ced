-- Every category a distribution shows, per dimension, so that a chart has no holes: the codes
-- of seeds/kodlistor.csv, SUS' age bands 15 - 29 … 60 - 74, the time-in-insats bands from
-- 1 - 5 up to the longest episode, `Uppgift saknas` for försörjning, and any category seen in
-- the data. Felregistrering is not an avslutsanledning of any episode that exists.

with

kodlistor as (
    select * from {{ ref('kodlistor') }}
),

deltagande_kategori as (
    select * from {{ ref('int_deltagande_kategori') }}
),

dimensioner as (
    select * from (
        values
        ('utbildningsniva', 'utbildningsniva'),
        ('tid_i_offentlig_forsorjning', 'tid_i_offentlig_forsorjning'),
        ('remittent', 'remittent'),
        ('forsorjning_fore', 'forsorjning'),
        ('forsorjning_efter', 'forsorjning'),
        ('avslutsanledning', 'avslutsanledning')
    ) as t (dimension, kodlista)
),

koder as (
    select dimensioner.dimension, kodlistor.kod as kategori, kodlistor.sortering
    from dimensioner
    inner join kodlistor
        on dimensioner.kodlista = kodlistor.kodlista
    where not (dimensioner.dimension = 'avslutsanledning' and kodlistor.kod = 'Felregistrering')
),

uppgift_saknas as (
    select dimension, 'Uppgift saknas' as kategori, 9999 as sortering
    from dimensioner
    where kodlista = 'forsorjning'
),

aldersgrupper as (
    select
        'aldersgrupp' as dimension,
        {{ bandets_namn('bandstart', 15) }} as kategori,
        bandstart as sortering
    from (select unnest(range(15, 75, 15))::integer as bandstart) as band
),

langsta_manad as (
    select coalesce(max(sortering), 1) as sista_bandstart
    from deltagande_kategori
    where dimension = 'tid_i_insats' and sortering < 9998
),

tid_i_insats as (
    select
        'tid_i_insats' as dimension,
        {{ bandets_namn('bandstart', 5) }} as kategori,
        bandstart as sortering
    from (
        select unnest(range(1, sista_bandstart + 1, 5))::integer as bandstart
        from langsta_manad
    ) as band
),

sedda as (
    select distinct dimension, kategori, sortering
    from deltagande_kategori
),

alla as (
    select * from koder
    union all select * from uppgift_saknas
    union all select * from aldersgrupper
    union all select * from tid_i_insats
    union all select * from sedda
),

final as (
    select
        dimension::varchar as dimension,
        kategori::varchar as kategori,
        min(sortering)::integer as sortering
    from alla
    group by dimension, kategori
)

select * from final
