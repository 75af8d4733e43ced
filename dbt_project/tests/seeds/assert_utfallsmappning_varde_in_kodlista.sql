-- Every utfallsmappning value is `*` or a code of the list named like its field
-- (sysselsattning_efter, avslutsanledning) in kodlistor, ignoring case: a misspelt value would
-- otherwise never match and its episodes would silently fall through to the `*` row.
select mappning.*
from {{ ref('utfallsmappning') }} as mappning
where mappning.varde <> '*'
    and not exists (
        select 1
        from {{ ref('kodlistor') }} as kod
        where kod.kodlista = mappning.falt
            and lower(kod.kod) = lower(trim(mappning.varde))
    )
