"""`finsam refresh` end to end on the demo exports, as a user runs it (a subprocess).

One module-scoped landing folder, two refreshes:
1. the demo exports → exit 0, raw tables and marts filled, bi.duckdb holds only `marts`;
2. plus a NEWER SUS export with a bad code → exit 2, the bad file quarantined byte for byte
   with a reason naming file, row and column, and the older good export still counted.
Then personnummer must appear in no DuckDB table, log, Dagster event log or report file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.generate import generate

FINSAM = str(Path(sys.executable).with_name("finsam"))
AS_OF = "2026-10-31"
PNR_TEXT = re.compile(r"\b(?:19|20)?\d{6}[-+]?\d{4}\b")


def _refresh(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FINSAM, "refresh", "--data-dir", str(data_dir), "--as-of", AS_OF],
        capture_output=True,
        text=True,
        timeout=900,
        env={k: v for k, v in __import__("os").environ.items() if not k.startswith(("FINSAM_", "DAGSTER_"))},
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = tmp_path_factory.mktemp("e2e")
    landing = data / "landing"
    generate(landing, seed=7, scale=0.5)
    personnummer = set()
    for f in landing.glob("*.csv"):
        personnummer |= {m.group(0) for m in PNR_TEXT.finditer(f.read_bytes().decode("cp1252", errors="replace"))}
    for f in landing.glob("*.txt"):
        personnummer |= set(re.findall(r"\b(?:19|20)\d{10}\b", f.read_text(encoding="cp1252")))
    first = _refresh(data)
    with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as con:
        before = con.execute(
            "select forbund, sum(nyinskrivna) from marts.genomflode where period_typ = 'ar' group by 1 order by 1"
        ).fetchall()

    # A newer export for Malmö whose second data row has an unknown Kön.
    malmo = next(landing.glob("sus_deltagare_malmo_*.csv"))
    text = malmo.read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    lines[2] = lines[2].replace(",Kvinna,", ",Okänd,").replace(",Man,", ",Okänd,")
    bad_name = "sus_deltagare_malmo_2026-11-05.csv"
    bad_bytes = ("\ufeff" + "\r\n".join(lines)).encode("utf-8")
    (landing / bad_name).write_bytes(bad_bytes)
    second = _refresh(data)
    return {
        "data": data,
        "first": first,
        "second": second,
        "before": before,
        "bad_name": bad_name,
        "bad_bytes": bad_bytes,
        "personnummer": personnummer,
    }


def test_first_refresh_publishes_everything(run):
    first = run["first"]
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Result: OK (exit code 0)" in first.stdout
    data = run["data"]
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
        after = con.execute(
            "select forbund, sum(nyinskrivna) from marts.genomflode where period_typ = 'ar' group by 1 order by 1"
        ).fetchall()
    assert after == run["before"]


def _varchar_values(db: Path):
    with duckdb.connect(str(db), read_only=True) as con:
        cols = con.execute(
            "select c.schema_name, c.table_name, c.column_name from duckdb_columns() c "
            "join duckdb_tables() t using (schema_name, table_name) where c.data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in cols:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches("{column}", \'(^|[^0-9a-f])(19|20)?[0-9]{{6}}[-+]?[0-9]{{4}}($|[^0-9a-f])\')'
            ).fetchone()[0]
            yield f"{schema}.{table}.{column}", hits


def test_no_personnummer_in_any_duckdb_table(run):
    data = run["data"]
    assert run["personnummer"], "the fixture found no personnummer to look for"
    for db in (data / "warehouse.duckdb", data / "bi.duckdb"):
        leaks = {name: hits for name, hits in _varchar_values(db) if hits}
        assert leaks == {}, f"{db.name}: personnummer-like values in {leaks}"


def test_no_personnummer_in_logs_event_log_or_any_other_file(run):
    data = run["data"]
    needles = set()
    for p in run["personnummer"]:
        digits = p.replace("-", "").replace("+", "")
        needles |= {p, digits, digits[-10:]}
    texts = [run["first"].stdout, run["first"].stderr, run["second"].stdout, run["second"].stderr]
    for path in data.rglob("*"):
        if path.is_file() and "landing" not in path.parts and "quarantine" not in path.parts and path.suffix not in {".duckdb", ".parquet"}:
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    # the Dagster instance (SQLite event log, run storage) is plain text inside
    assert any((data / "dagster_home").rglob("*.db")), "the run was not recorded in the instance"
    blob = "\n".join(texts)
    found = sorted(n for n in needles if n in blob)
    assert found == [], f"personnummer found in outputs: {len(found)}"
