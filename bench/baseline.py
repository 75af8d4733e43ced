"""Hand-written DuckDB baseline: every mart the pipeline publishes, computed straight from the
landing files in one DuckDB process with one SQL script.

Covered marts (the same rows, keys and value columns as `marts.*` in bi.duckdb): dim_period,
dim_insats, genomflode, resultat, forsorjning, fordelning, dim_kategori, ekonomi, enhetskostnad,
samhallsekonomi, aktivitet, finansiering, datakvalitet, stegforflyttning, forsorjning_overgang,
uppfoljning_finsam (`ar` only) and jamforelse (halvar and ar, no insats); every period type the pipeline produces
for each (ekonomi has no rullande_12, finansiering only `ar`). It reads every source kind:
insatser, sus_deltagare, sus_anonyma, stegmatning, budget, finansiering, ledger,
procapita_aktiviteter, procapita_narvaro and procapita_ekonomiskt_bistand (Socialstyrelsen's
household layout: the household's Sbel belongs to both persons), plus the seeds in
dbt_project/seeds/ (code lists, utfall mapping, account ranges, processtrappa, the cost per
month of each income source), which it reads directly.

It applies every rule that changes numbers: the replacement rules of docs/sources.md (newest
file per key: file date in the name, then the xlsx `Exekvering:` stamp, then mtime; additive
by month for ledger, attendance and social assistance; Pro Capita activities replaced whole),
Felregistrering, as_of clipping, code case-insensitivity (codes in the code list's spelling),
the utfall mapping, goal sets and trial periods, samordningsnummer and the 10-digit
personnummer forms (century from the refresh day, as ingest does) naming the same person, and
the zero-filled row sets of the mart contract (every insats x period x kon; fordelning is sparse,
and dim_kategori lists every category of each dimension).

What it does NOT do that the pipeline does: no validation (types, code lists, personnummer
check digits, future dates, registered insatser, header aliases: it expects the canonical
headers the demo writes, on the first line of a CSV), no quarantine, no pseudonymisation (the
12-digit personnummer, as a BIGINT, is the person key inside this one process), no raw
history or file ledger, no intermediate models beyond the few temp tables that make it fast
(the two biggest inputs, attendance and social assistance, are streamed from the files and
aggregated, never stored), no tests, no BI publish, no Parquet, no reports, no docs. It is an
independent re-implementation: it uses none of the pipeline's SQL or dbt macros. Time goes
mostly to reading the files and to writing the zero-filled forsorjning rows.

    .venv/bin/python bench/baseline.py --landing bench/data/1/landing --as-of 2026-10-31 \
        --out bench/data/1/baseline.duckdb
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "dbt_project" / "seeds"
# The script, in .sql files beside this one so it reads (and diffs) as SQL: the helpers, the
# inputs and most marts; then the transitions, the yearly registration figures and the
# comparison between förbund. build_sql fills in the upper-case placeholders.
SQL_FILES = (Path(__file__).with_name("baseline.sql"), Path(__file__).with_name("baseline_transitions.sql"))
MARTS = (
    "dim_period",
    "dim_insats",
    "genomflode",
    "resultat",
    "forsorjning",
    "fordelning",
    "dim_kategori",
    "ekonomi",
    "enhetskostnad",
    "samhallsekonomi",
    "aktivitet",
    "finansiering",
    "datakvalitet",
    "stegforflyttning",
    "forsorjning_overgang",
    "uppfoljning_finsam",
    "jamforelse",
)

# canonical column -> header in the exports (the demo writes the canonical headers)
COLUMNS = {
    "insatser": {
        "forbund": "Förbund",
        "insats_id": "Insats-ID",
        "insatsnamn": "Insatsnamn",
        "startdatum": "Startdatum",
        "slutdatum": "Slutdatum",
        "arsplatser": "Årsplatser",
        "provotid_dagar": "Provotid dagar",
        "malutfall": "Målutfall",
        "budgeterat_antal_deltagare": "Budgeterat antal deltagare",
        "inriktning": "Inriktning",
        "malgrupp": "Målgrupp",
    },
    "sus_deltagare": {
        "forbund": "Förbund",
        "insats_id": "Insats-ID",
        "personnummer": "Personnummer",
        "kon": "Kön",
        "startdatum": "Startdatum",
        "slutdatum": "Slutdatum",
        "avslutsanledning": "Avslutsanledning",
        "sysselsattning_efter": "Sysselsättning efter",
        "forsorjning_fore": "Försörjning före",
        "forsorjning_efter": "Försörjning efter",
        "tid_i_offentlig_forsorjning": "Tid i offentlig försörjning",
        "utbildningsniva": "Utbildningsnivå",
        "remittent": "Remittent",
    },
    "sus_anonyma": {"ar": "År", "forbund": "Förbund", "insats_id": "Insats-ID", "kvinnor": "Kvinnor", "man": "Män"},
    "stegmatning": {
        "personnummer": "Personnummer",
        "insats_id": "Insats-ID",
        "startdatum": "Startdatum",
        "mattillfalle": "Mättillfälle",
        "steg": "Steg",
    },
    "budget": {
        "ar": "År",
        "forbund": "Förbund",
        "insats_id": "Insats-ID",
        "kostnadsslag": "Kostnadsslag",
        "belopp": "Belopp",
    },
    "finansiering": {"ar": "År", "forbund": "Förbund", "finansiar": "Finansiär", "belopp": "Belopp"},
    "ledger": {"forbund": "Förbund", "period": "Period", "projekt": "Projekt", "konto": "Konto", "belopp": "Belopp"},
    "procapita_aktiviteter": {
        "personnummer": "Personnummer",
        "aktivitet": "Aktivitet",
        "insats_id": "Insats-ID",
        "startdatum": "Startdatum",
        "slutdatum": "Slutdatum",
        "status": "Status",
    },
    "procapita_narvaro": {
        "personnummer": "Personnummer",
        "aktivitet": "Aktivitet",
        "datum": "Datum",
        "planerade_timmar": "Planerade timmar",
        "narvarotimmar": "Närvarotimmar",
    },
    "procapita_ekonomiskt_bistand": {
        "ar": "Ar",
        "manad": "Manad",
        "personnr1": "Personnr1",
        "sbel": "Sbel",
        "personnr2": "Personnr2",
    },
}
_NAME_DATE = re.compile(r"_(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?!\d)")
_EXEKVERING = re.compile(r"Exekvering:\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)")


def _kind_of(name: str) -> str | None:
    """The kind a file name starts with; the longest prefix wins (sus_deltagare vs sus_anonyma)."""
    lower = name.lower()
    best = None
    for k in COLUMNS:
        if lower.startswith((k + "_", k + ".")) and (best is None or len(k) > len(best)):
            best = k
    return best


def _file_date(name: str) -> dt.date | None:
    stem = name.rsplit(".", 1)[0]
    for m in reversed(list(_NAME_DATE.finditer(stem))):
        try:
            return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
        except ValueError:
            continue
    return None


def _csv_form(path: Path) -> tuple[str, str]:
    """(encoding for DuckDB, delimiter) from the first MB."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
    else:
        cut = head.rfind(b"\n")
        try:
            head[: cut if cut > 0 else len(head)].decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = head.decode("utf-8" if encoding == "utf-8" else "latin-1", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    delim = max((";", "\t", ","), key=first.count)
    return encoding, delim


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _xlsx(con: duckdb.DuckDBPyConnection, path: Path, cols: dict[str, str], view: str) -> tuple[list[str], str | None]:
    """Register the sheet's data rows (below the header row, preamble skipped) as `view`;
    returns the canonical columns found and the `Exekvering:` stamp of the preamble."""
    import fastexcel  # the one file form DuckDB cannot read without an extension
    import pyarrow as pa

    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_arrow()
    wanted = {h.lower() for h in cols.values()}
    head = sheet.slice(0, 50).to_pylist()
    header_at = next(
        i for i, row in enumerate(head) if sum((v or "").strip().lower() in wanted for v in row.values()) >= 2
    )
    stamp = None
    for row in head[:header_at]:
        m = _EXEKVERING.search(" ".join(v for v in row.values() if v))
        if m:
            stamp = f"{m.group(1)} {m.group(2)}"
    by_header = {(v or "").strip().lower(): n for n, v in head[header_at].items()}
    found = {c: by_header[h.lower()] for c, h in cols.items() if h.lower() in by_header}
    con.register(view, pa.table({c: sheet.column(n).slice(header_at + 1) for c, n in found.items()}))
    return list(found), stamp


def load_kind(con: duckdb.DuckDBPyConnection, kind: str, files: list[Path], filer: list[tuple]) -> None:
    """View raw_<kind>: the needed columns as text + _fil (the file's number in `filer`). Nothing
    is read here (but the header): the statements that use a kind read its files, the newest-file
    rules twice (once for the distinct (key, file) pairs, once for the rows)."""
    cols = COLUMNS[kind]
    parts = []
    for f in sorted(files):
        fil = len(filer)
        stamp = None
        if f.suffix.lower() == ".xlsx":
            view = f"__xlsx_{fil}"
            found, stamp = _xlsx(con, f, cols, view)
            src, have = view, {c: c for c in found}
        else:
            encoding, delim = _csv_form(f)
            src = (
                f"read_csv({_sql_str(str(f))}, delim={_sql_str(delim)}, header=true, all_varchar=true, "
                f"encoding={_sql_str(encoding)}, quote='\"', escape='\"', null_padding=true)"
            )
            head = [r[0] for r in con.execute(f"describe select * from {src}").fetchall()]
            by_header = {h.lstrip("\ufeff").strip().lower(): h for h in head}
            have = {c: by_header[h.lower()] for c, h in cols.items() if h.lower() in by_header}
        sel = ", ".join(f'"{have[c]}" as {c}' if c in have else f"null::varchar as {c}" for c in cols)
        parts.append(f"select {sel}, {fil} as _fil from {src}")
        mtime = dt.datetime.fromtimestamp(f.stat().st_mtime)
        exported = stamp and dt.datetime.strptime(
            stamp, "%Y-%m-%d %H:%M:%S" if stamp.count(":") == 2 else "%Y-%m-%d %H:%M"
        )
        filer.append((fil, kind, f.name, _file_date(f.name), exported, mtime))
    if not parts:
        parts.append(
            "select " + ", ".join(f"null::varchar as {c}" for c in cols) + ", null::integer as _fil where false"
        )
    con.execute(f"create or replace temp view raw_{kind} as " + " union all by name ".join(parts))


def newest_files(rel: str, keys: list[str]) -> str:
    """Per value of `keys` (expressions on `rel`, as _k0, _k1, ...) the file (_fil) whose rows count:
    the newest file containing that value (docs/sources.md: later file date, then later
    Exekvering stamp, then later mtime; `keys` empty = the newest file of the kind). Decided on the
    distinct (key, file) pairs."""
    ks = "".join(f"{k} as _k{i}, " for i, k in enumerate(keys))
    part = ("partition by " + ", ".join(f"_k{i}" for i in range(len(keys)))) if keys else ""
    return f"""select * exclude (kind, _file, _file_date, _exported_at, _mtime)
        from (select distinct {ks}_fil from {rel}) join filer using (_fil)
        qualify row_number() over ({part} order by _file_date desc nulls last, _exported_at desc nulls last,
                                   _mtime desc nulls last, _file desc) = 1"""


def newest(rel: str, keys: list[str]) -> str:
    """The rows of `rel` that come from the newest file containing their key value (a semi join)."""
    on = "".join(f" and {k} is not distinct from _n._k{i}" for i, k in enumerate(keys))
    return f"(select _r.* from {rel} _r semi join ({newest_files(rel, keys)}) _n on _r._fil = _n._fil{on})"


def code_macros() -> str:
    """kod_<list>(x): a code in the code list's spelling (case-insensitive; an unknown code stays
    as it is, trimmed; empty = null); sort_<list>(code): its `sortering`; kodlista_<list>(x): a
    comma-separated list of codes, each normalised, without duplicates, in `sortering` order.
    Generated from seeds/kodlistor.csv as CASE expressions (no join per row)."""
    lists: dict[str, list[tuple[str, int]]] = {}
    with (SEEDS / "kodlistor.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            lists.setdefault(row["kodlista"], []).append((row["kod"], int(row["sortering"])))
    out = []
    for name, codes in lists.items():
        kod = " ".join(f"when lower({_sql_str(k)}) then {_sql_str(k)}" for k, _ in codes)
        srt = " ".join(f"when {_sql_str(k)} then {s}" for k, s in codes)
        out.append(
            f"create or replace temp macro kod_{name}(x) as case lower(trim(x)) {kod} else nullif(trim(x), '') end;"
        )
        out.append(f"create or replace temp macro sort_{name}(x) as case x {srt} end;")
        out.append(
            f"create or replace temp macro kodlista_{name}(x) as list_transform(list_sort(list_distinct(list_transform("
            f"list_filter(string_split(coalesce(x, ''), ','), lambda v: trim(v) <> ''), "
            f"lambda v: {{'s': coalesce(sort_{name}(kod_{name}(v)), 2147483647), 'k': kod_{name}(v)}}))), lambda v: v.k);"
        )
    return "\n".join(out)


def build_sql(as_of: dt.date, refresh_day: dt.date) -> str:
    replacements = {
        "NEWEST_INSATSER": newest("raw_insatser", ["trim(forbund)"]),
        "NEWEST_SUS": newest("raw_sus_deltagare", ["trim(forbund)", "trim(insats_id)"]),
        "NEWEST_ANONYMA": newest("raw_sus_anonyma", ["trim(ar)", "trim(forbund)"]),
        "NEWEST_STEG": newest("raw_stegmatning", ["trim(insats_id)"]),
        "NEWEST_BUDGET": newest("raw_budget", ["trim(ar)", "trim(forbund)"]),
        "NEWEST_FINANSIERING": newest("raw_finansiering", ["trim(ar)", "trim(forbund)"]),
        "NEWEST_AKTIVITETER": newest("raw_procapita_aktiviteter", []),
        "NEWEST_LEDGER": newest("ledger_rader", ["manad"]),
        "NARVARO_FILER": newest_files("raw_procapita_narvaro", ["manad(d(datum))"]),
        "BISTAND_FILER": newest_files(
            "raw_procapita_ekonomiskt_bistand", ["make_date(num(ar)::int, num(manad)::int, 1)"]
        ),
        "REFRESH_DAY": str(refresh_day.year * 10000 + refresh_day.month * 100 + refresh_day.day),
        "AS_OF": f"date '{as_of.isoformat()}'",
    }
    sql = "\n".join(f.read_text(encoding="utf-8") for f in SQL_FILES)
    for k, v in replacements.items():
        sql = sql.replace(k, v)
    return code_macros() + "\n" + sql


def run(landing: Path, as_of: dt.date, out: Path, threads: int | None = None) -> dict:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    for p in (out, out.with_name(out.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    # Room for the one union of every SUS export (at 1x 75 files): under 3 GB DuckDB runs out of
    # memory there. The baseline measures time; the memory target is the pipeline's.
    con.execute("set memory_limit = '8GB'")
    con.execute("set preserve_insertion_order = false")
    if threads:
        con.execute(f"set threads = {threads}")
    for seed in (
        "kodlistor",
        "utfallsmappning",
        "kontoplan_kostnadsslag",
        "processtrappa",
        "forsorjning_kostnad_per_manad",
    ):
        name = {"kontoplan_kostnadsslag": "kontoplan", "forsorjning_kostnad_per_manad": "forsorjning_kostnad"}.get(
            seed, seed
        )
        con.execute(
            f"create or replace temp table {name} as select * from read_csv('{SEEDS / (seed + '.csv')}', header=true)"
        )
    con.execute(
        "update utfallsmappning set falt = lower(trim(falt)), "
        "varde = case when trim(varde) = '*' then '*' else lower(trim(varde)) end, utfall = lower(trim(utfall))"
    )

    files: dict[str, list[Path]] = {k: [] for k in COLUMNS}
    for f in sorted(landing.iterdir()):
        if f.is_file() and f.suffix.lower() in (".csv", ".txt", ".xlsx") and not f.name.startswith((".", "~$")):
            kind = _kind_of(f.name)
            if kind:
                files[kind].append(f)
    filer: list[tuple] = []
    for kind, fs in files.items():
        load_kind(con, kind, fs, filer)
    con.execute(
        "create or replace temp table filer (_fil integer, kind varchar, _file varchar, _file_date date, "
        "_exported_at timestamp, _mtime timestamp)"
    )
    if filer:
        con.executemany("insert into filer values (?, ?, ?, ?, ?, ?)", filer)
    timings["open"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    con.execute(build_sql(as_of, dt.date.today()))  # personnummer centuries: the real day, as ingest
    con.execute("checkpoint")
    timings["compute"] = time.perf_counter() - t1
    rows = {m: con.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS}
    con.close()
    timings["total"] = time.perf_counter() - t0
    return {"marts": list(MARTS), "rows": rows, "timings_s": timings, "files": {k: len(v) for k, v in files.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--out", type=Path, required=True, help="DuckDB file for the baseline marts")
    ap.add_argument("--threads", type=int)
    args = ap.parse_args(argv)
    result = run(args.landing, dt.date.fromisoformat(args.as_of), args.out, args.threads)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
