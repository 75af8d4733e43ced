"""The quality gates as wired: committed suites up to date and valid GX, every check in the
Definitions, blocking checks gating publish in the execution plan, dbt test severities mapped to
blocking / non-blocking checks, and the refresh summary's lines."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from pipelines.asset_keys import PUBLISH_KEY
from pipelines.quality.build_suites import build_all, file_suite_name, stale_files
from pipelines.quality.checks import GX_CHECK_NAME, load_rules, mart_suites
from pipelines.quality.runtime import load_suite_json, suite_names
from pipelines.quality.summary import CheckLine, QualitySummary
from pipelines.settings import DBT_PROJECT_DIR
from pipelines.sources.spec import load_specs


@pytest.fixture(scope="module")
def defs():
    from pipelines.definitions import defs as definitions

    return definitions


def test_committed_suites_are_up_to_date():
    assert stale_files(build_all()) == [], "run `python -m pipelines.quality.build_suites` and commit expectations/"


def test_every_suite_is_valid_gx_and_every_expectation_says_why():
    import great_expectations as gx

    names = suite_names()
    assert len(names) == len(load_specs()) + len(mart_suites())
    for name in names:
        data = load_suite_json(name)
        suite = gx.ExpectationSuite(**data)
        assert suite.name == name and len(suite.expectations) == len(data["expectations"])
        for e in data["expectations"]:
            assert e["severity"] in ("critical", "warning"), (name, e)
            assert e.get("notes") and len(e["notes"]) > 20, (name, e["type"], "needs a one-line reason")


def test_code_lists_come_from_the_seed():
    """A code column's value set is exactly its kodlista in dbt_project/seeds/kodlistor.csv."""
    for kind, spec in load_specs().items():
        suite = load_suite_json(file_suite_name(kind))
        in_set = {
            e["kwargs"]["column"]: e["kwargs"]["value_set"]
            for e in suite["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set"
        }
        for col in spec.columns:
            if col.type == "code":
                assert in_set[col.name] == list(col.codes), (kind, col.name)


def test_every_check_is_in_the_definitions(defs):
    graph = defs.resolve_asset_graph()
    keys = graph.asset_check_keys
    for ms in mart_suites():
        assert dg.AssetCheckKey(ms.asset_key, GX_CHECK_NAME) in keys
    for r in load_rules():
        assert dg.AssetCheckKey(r.asset_key, r.name) in keys
        for dep in r.reads:
            assert graph.has(dep), f"{r.name} reads {dep.to_user_string()}, which is no asset"


def test_blocking_checks_gate_publish_in_the_execution_plan(defs):
    """Dagster gates only the direct downstream of a checked asset: every blocking quality check
    must sit on an asset publish depends on, and the plan must make publish wait for it."""
    from dagster._core.execution.api import create_execution_plan

    graph = defs.resolve_asset_graph()
    publish_parents = graph.get(PUBLISH_KEY).parent_keys
    for ms in mart_suites():
        assert ms.asset_key in publish_parents
    for r in load_rules():
        if r.blocking:
            assert r.asset_key in publish_parents, r.name
    plan = create_execution_plan(defs.resolve_job_def("refresh"))
    upstream = plan.get_step_by_key("publish__bi_duckdb").get_execution_dependency_keys()
    assert {"mart_suites", "cross_file_rules", "finsam_dbt_assets"} <= set(upstream)


def test_dbt_test_severity_maps_to_blocking(defs):
    """error-severity dbt tests are blocking checks (they also fail the dbt step); warn-severity
    ones are not (dagster-dbt reports them with severity WARN)."""
    from pipelines.transform.assets import finsam_dbt_assets

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    specs = list(finsam_dbt_assets.check_specs)
    assert specs
    for spec in specs:
        uid = spec.metadata["dagster_dbt/unique_id"]
        severity = (manifest["nodes"][uid]["config"].get("severity") or "error").lower()
        assert spec.blocking == (severity == "error"), (uid, severity)


def test_every_dbt_test_is_an_asset_check(defs):
    from pipelines.transform.assets import finsam_dbt_assets

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    checked = {s.metadata["dagster_dbt/unique_id"] for s in finsam_dbt_assets.check_specs}
    model_tests = {
        uid
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "test" and all(d.startswith("model.") for d in n["depends_on"]["nodes"])
    }
    assert model_tests <= checked, sorted(model_tests - checked)


def test_summary_lines_name_the_failed_check_its_asset_and_sample_rows(tmp_path):
    summary = QualitySummary(
        checks=[
            CheckLine(
                "marts/genomflode",
                "overlappande_episoder",
                False,
                "ERROR",
                "1 offending rows",
                ({"person_id": "a" * 64, "insats_id": "I", "fil_1": "sus.csv"},),
            ),
            CheckLine("marts/ekonomi", "kostnad_utan_budget", False, "WARN", "2 offending rows"),
            CheckLine("marts/genomflode", "gx_suite", True, "ERROR", None),
        ],
        files=[
            {
                "subject": "ledger.csv",
                "suite": "raw_ledger",
                "ok": True,
                "blocking": [],
                "warnings": ["expect_column_values_to_be_between(belopp)"],
            }
        ],
        data_docs=tmp_path / "validation" / "docs" / "index.html",
    )
    text = "\n".join(summary.lines())
    assert "3 checks ran: 1 passed, 1 warned, 1 failed" in text
    assert "FAILED check overlappande_episoder on marts/genomflode" in text
    assert "person_id=aaaaaaaaaaaaaaaa…" in text and "a" * 64 not in text
    assert "warned check kostnad_utan_budget on marts/ekonomi" in text
    assert "warned ledger.csv (raw_ledger): expect_column_values_to_be_between(belopp)" in text
    assert f"data docs {tmp_path / 'validation' / 'docs' / 'index.html'}" in text


def test_a_frame_cut_to_the_changed_keys_gives_the_rows_of_the_whole_frame_with_those_keys():
    import duckdb

    from pipelines.quality.checks import CHANGED_KEYS, changed_rows_sql, select_changed_keys

    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_period as select * from (values ('ar', '2025', date '2025-12-31'), "
        "('ar', '2026', date '2026-12-31')) as t(period_typ, period_id, period_slut)"
    )
    con.execute(
        "create table marts.dim_insats as select * from (values ('A', 'a1'), ('B', 'b1')) as t(forbund, insats_id)"
    )
    # B lacks its 2026 row: the grid reports it missing
    con.execute(
        "create table marts.genomflode as select * from (values ('A', 'a1', 'ar', '2025', 1), "
        "('A', 'a1', 'ar', '2026', 2), ('B', 'b1', 'ar', '2025', 3)) as t(forbund, insats_id, period_typ, period_id, n)"
    )
    frame = (
        "with grid as (select i.forbund, i.insats_id, p.period_typ, p.period_id from marts.dim_insats as i "
        "cross join marts.dim_period as p), i_marten as (select distinct forbund, insats_id, period_typ, period_id "
        "from marts.genomflode) select mart.*, false as rad_saknas from marts.genomflode as mart "
        "union all by name select g.*, true as rad_saknas from grid as g anti join i_marten "
        "using (forbund, insats_id, period_typ, period_id)"
    )
    select_changed_keys(con, "period_slut > ?::date", [dt.date(2026, 1, 1)])
    whole = con.execute(
        f"select * from ({frame}) semi join {CHANGED_KEYS} using (forbund, period_typ, period_id) order by all"
    ).fetchall()
    cut_sql = changed_rows_sql(frame, "genomflode")
    assert "marts.genomflode semi join" in cut_sql
    assert con.execute(f"select * from ({cut_sql}) order by all").fetchall() == whole
    assert whole == [("A", "a1", "ar", "2026", 2, False), ("B", "b1", "ar", "2026", None, True)]
