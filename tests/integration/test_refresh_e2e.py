"""`finsam refresh` end to end on the demo exports, as a user runs it (a subprocess).

Three refreshes:
1. the demo exports → exit 0, raw tables and marts filled, bi.duckdb holds only `marts`
   (the session's shared refresh, tests/integration/conftest.py);
2. on a copy of that data dir, plus a NEWER SUS export with a bad code → exit 2, the bad file
   quarantined byte for byte with a reason naming file, row and column, and the older good
   export still counted; nothing new was loaded, so dbt and publish are skipped;
3. the same again, nothing new at all → no Dagster run is started.
Then personnummer must appear in no DuckDB table, log, Dagster event log or report file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from cli_refresh import run_refresh_cli

DIGIT_RUN = re.compile(r"\d[\d+-]{8,}\d")

YEARLY_NYINSKRIVNA = (
    "select forbund, sum(nyinskrivna) from marts.genomflode where period_typ = 'ar' group by 1 order by 1"
)


@pytest.fixture(scope="module")
def run(demo_refresh, tmp_path_factory):
    data = demo_refresh.copy_to(tmp_path_factory.mktemp("e2e") / "data")
    landing = data / "landing"
    with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as con:
        before = con.execute(YEARLY_NYINSKRIVNA).fetchall()

    # A newer export for Malmö whose second data row has an unknown Kön.
    malmo = next(landing.glob("sus_deltagare_malmo_*.csv"))
    text = malmo.read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    lines[2] = lines[2].replace(",Kvinna,", ",Okänd,").replace(",Man,", ",Okänd,")
    bad_name = "sus_deltagare_malmo_2026-11-05.csv"
    bad_bytes = ("\ufeff" + "\r\n".join(lines)).encode("utf-8")
    (landing / bad_name).write_bytes(bad_bytes)
    second = run_refresh_cli(data)
    third = run_refresh_cli(data)  # nothing new at all
    return {
        "shared": demo_refresh.data,
        "data": data,
        "first": demo_refresh.first,
        "second": second,
        "third": third,
        "before": before,
        "bad_name": bad_name,
        "bad_bytes": bad_bytes,
        "personnummer": demo_refresh.personnummer,
    }


def test_first_refresh_publishes_everything(run):
    first = run["first"]
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Result: OK (exit code 0)" in first.stdout
    data = run["shared"]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        raw = dict(
            con.execute(
                "select table_name, estimated_size from duckdb_tables() where schema_name = 'raw' and not starts_with(table_name, '_')"
            ).fetchall()
        )
    assert len(raw) == 10 and all(rows > 0 for rows in raw.values()), raw
    with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        marts = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        insatser = con.execute("select count(*) from marts.dim_insats").fetchone()[0]
    assert schemas == {"marts"}
    assert {"genomflode", "resultat", "forsorjning", "fordelning", "ekonomi", "dim_period", "dim_insats"} <= marts
    assert insatser == 9
    assert (data / "bi" / "genomflode.parquet").exists()
    for line in ("raw.sus_deltagare", "marts.genomflode", str(data / "bi.duckdb")):
        assert line in first.stdout


def test_bad_newer_file_is_quarantined_and_the_older_export_still_counts(run):
    second, data = run["second"], run["data"]
    assert second.returncode == 2, second.stdout[-3000:] + second.stderr[-3000:]
    assert run["bad_name"] in second.stdout
    quarantined = data / "quarantine" / run["bad_name"]
    assert quarantined.read_bytes() == run["bad_bytes"]
    reason = (data / "quarantine" / (run["bad_name"] + ".reason.txt")).read_text(encoding="utf-8")
    assert run["bad_name"] in reason and "rad 3" in reason.lower() and "Kön" in reason and "Okänd" in reason
    assert not (data / "landing" / run["bad_name"]).exists()
    with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as con:
        after = con.execute(YEARLY_NYINSKRIVNA).fetchall()
    assert after == run["before"]


def test_a_refresh_that_loads_nothing_new_rebuilds_nothing(run):
    """The bad file was quarantined, so the marts' inputs are those of the last publish: dbt,
    checks, publish and reports are skipped, and BI keeps the very same files."""
    second, data = run["second"], run["data"]
    assert "Nothing changed since the publish of " in second.stdout, second.stdout[-3000:]
    assert re.search(r"finsam refresh  run [0-9a-f-]{36}", second.stdout)  # the run ingested the new file
    assert "marts.genomflode" in second.stdout  # the summary still lists what BI has
    assert (data / "bi.duckdb").read_bytes() == (run["shared"] / "bi.duckdb").read_bytes()
    assert sorted(p.name for p in (data / "reports").rglob("*.html")) == sorted(
        p.name for p in (run["shared"] / "reports").rglob("*.html")
    )


def test_with_no_new_file_no_dagster_run_is_started(run):
    third = run["third"]
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert "finsam refresh  no Dagster run needed" in third.stdout
    assert "Nothing changed since the publish of " in third.stdout and "marts.genomflode" in third.stdout
    assert (run["data"] / "bi.duckdb").read_bytes() == (run["shared"] / "bi.duckdb").read_bytes()


def _varchar_values(db: Path):
    with duckdb.connect(str(db), read_only=True) as con:
        cols = con.execute(
            "select c.schema_name, c.table_name, c.column_name from duckdb_columns() c "
            "join duckdb_tables() t using (schema_name, table_name) where c.data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in cols:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches("{column}", '
                "'(^|[^0-9a-f])(19|20)?[0-9]{6}[-+]?[0-9]{4}($|[^0-9a-f])')"
            ).fetchone()[0]
            yield f"{schema}.{table}.{column}", hits


def test_no_personnummer_in_any_duckdb_table(run):
    assert run["personnummer"], "the fixture found no personnummer to look for"
    for data in (run["shared"], run["data"]):
        for db in (data / "warehouse.duckdb", data / "bi.duckdb"):
            leaks = {name: hits for name, hits in _varchar_values(db) if hits}
            assert leaks == {}, f"{db.name}: personnummer-like values in {leaks}"


def _digit_windows(text: str) -> set[str]:
    """Every 10-digit window of every run of digits (with - or + inside) in `text`."""
    windows = set()
    for run_ in DIGIT_RUN.findall(text):
        digits = run_.replace("-", "").replace("+", "")
        windows |= {digits[i : i + 10] for i in range(len(digits) - 9)}
    return windows


def test_no_personnummer_in_logs_event_log_or_any_other_file(run):
    # A personnummer's last ten digits, wherever they stand in a run of digits: also inside
    # a 12-digit form or glued to other digits.
    needles = {p.replace("-", "").replace("+", "")[-10:] for p in run["personnummer"]}
    texts = [out for r in ("first", "second", "third") for out in (run[r].stdout, run[r].stderr)]
    scanned = 0
    for data in (run["shared"], run["data"]):
        # the Dagster instance (SQLite event log, run storage) is plain text inside
        assert any((data / "dagster_home").rglob("*.db")), "the run was not recorded in the instance"
        for path in data.rglob("*"):
            if (
                path.is_file()
                and "landing" not in path.parts
                and "quarantine" not in path.parts
                and path.suffix not in {".duckdb", ".parquet"}
            ):
                texts.append(path.read_bytes().decode("utf-8", errors="replace"))
                scanned += 1
    assert scanned > 20, scanned
    found = set().union(*(_digit_windows(t) for t in texts)) & needles
    assert found == set(), f"personnummer found in outputs: {len(found)}"


def test_the_dbt_docs_are_those_of_the_full_build(run):
    """The first refresh builds in full: the docs take that build's manifest, with its compiled
    SQL, instead of compiling the project again (pipelines/docs/assets.py)."""
    data = run["shared"]
    docs = json.loads((data / "docs" / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    build = json.loads((data / "docs" / ".dbt_target" / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert docs["metadata"]["invocation_id"] == build["metadata"]["invocation_id"]
    compiled = docs["nodes"]["model.finsam.genomflode"]["compiled_code"]
    assert "{{" not in compiled and "from" in compiled
