"""The benchmark's hand-written baseline computes every mart the pipeline publishes, with the same
rows and values, on the demo refresh shared by the end-to-end tests (bench/ measures speed; this
keeps its "same marts" claim true as the models change)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
from cli_refresh import AS_OF

BENCH = Path(__file__).resolve().parents[2] / "bench"
ROOT = BENCH.parent

MARTS = {
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
}


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baseline_marts_equal_the_pipelines(demo_refresh, tmp_path):
    assert demo_refresh.first.returncode == 0, demo_refresh.first.stdout[-3000:]
    baseline, runner = _module("baseline"), _module("run")
    assert set(baseline.MARTS) == MARTS and set(runner.KEYS) == MARTS
    out = tmp_path / "baseline.duckdb"
    baseline.run(demo_refresh.data / "landing", dt.date.fromisoformat(AS_OF), out)
    result = runner.compare(demo_refresh.data / "bi.duckdb", out)
    assert set(result) == MARTS
    with duckdb.connect(str(demo_refresh.data / "bi.duckdb"), read_only=True) as con:
        columns = {m: len(con.execute(f"describe marts.{m}").fetchall()) for m in MARTS}
    for mart, r in result.items():
        # the baseline produces every column of the mart, and every non-key column is compared
        assert r["rows_pipeline"] > 0 and r["columns_compared"] == columns[mart] - len(runner.KEYS[mart]), (mart, r)
        assert r["equal"], (mart, r)


def test_the_bench_counts_each_expectation_once_per_file_or_mart(tmp_path):
    """A mart validated in förbund slices (pipelines/quality/checks.py) evaluated each of its
    expectations once, so the bench's "no check dropped" count must not count it per slice; a
    file's suite counts once per file, also when small files shared one GX run (index.jsonl)."""
    import json

    runner = _module("run")
    validation = tmp_path / "validation"
    results = validation / "results"
    expectations = [{"expectation_config": {"type": "expect_x", "kwargs": {"column": c}}} for c in "ab"]
    subjects = [
        ("marts_fordelning", "run1 förbund 1__2"),
        ("marts_fordelning", "run1 förbund 2__2"),
        ("marts_resultat", "run1"),
        ("raw_budget", "budget_2026-11-02.csv +1"),  # counted from the index, not here
    ]
    for suite, subject in subjects:
        folder = results / suite / subject / "20261208T000000.000000Z"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps({"results": expectations}))
    lines = [
        {"at": "2026-12-08T01:00:00", "suite": "raw_budget", "subject": "budget_2025-11-02.csv"},  # before
        {"at": "2026-12-08T02:00:00", "suite": "raw_budget", "subject": "budget_2026-11-02.csv", "run": "x +1"},
        {"at": "2026-12-08T02:00:00", "suite": "raw_budget", "subject": "budget_2026-11-03.csv", "run": "x +1"},
        {"at": "2026-12-08T02:00:01", "suite": "marts_resultat", "subject": "run1"},
    ]
    (validation / "index.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    budget = json.loads((ROOT / "expectations" / "expectations" / "raw_budget.json").read_text())["expectations"]
    since = dt.datetime(2026, 12, 8, 1, 30).timestamp()
    counted = runner.checks_ran({"gx_suite": 2}, validation, since=since)
    assert counted["gx_expectations_on_marts"] == 4
    assert counted["gx_expectations_on_files"] == 2 * len(budget) > 0
    assert counted["gx_expectations"] == 4 + 2 * len(budget)
