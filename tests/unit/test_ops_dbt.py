"""dbt in operation: row counts added to dbt's events, and dagster-dbt's target dirs pruned."""

import datetime as dt
import os
import time

import dagster as dg
import duckdb
import pytest

from pipelines.docs.assets import (
    BUILD_FILES,
    DOCS_FILES,
    DOCS_FINGERPRINT,
    docs_are_current,
    docs_dir,
    keep_build_for_docs,
    kept_build,
)
from pipelines.settings import Settings
from pipelines.transform.dbt_build import count_rows, prune_run_targets, with_row_counts

MANIFEST = {
    "nodes": {
        "model.finsam.genomflode": {
            "relation_name": '"warehouse"."marts"."genomflode"',
            "config": {"materialized": "table"},
        },
        "model.finsam.stg_x": {"relation_name": '"warehouse"."staging"."stg_x"', "config": {"materialized": "view"}},
        "seed.finsam.kodlistor": {
            "relation_name": '"warehouse"."seeds"."kodlistor"',
            "config": {"materialized": "seed"},
        },
        "model.finsam.failed": {"relation_name": '"warehouse"."marts"."failed"', "config": {"materialized": "table"}},
    }
}


@pytest.fixture()
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema staging; create schema seeds")
        con.execute("create table marts.genomflode as select range as n from range(42)")
        con.execute("create table seeds.kodlistor as select range as n from range(5)")
        con.execute("create view staging.stg_x as select 1 as n")
    return path


def test_count_rows_counts_tables_and_seeds_but_not_views(warehouse):
    counts = count_rows(warehouse, MANIFEST, list(MANIFEST["nodes"]))
    assert counts == {"model.finsam.genomflode": 42, "seed.finsam.kodlistor": 5}


class FakeInvocation:
    """What with_row_counts uses of dagster-dbt's DbtCliInvocation: stream() and manifest."""

    def __init__(self, events, error=None):
        self.manifest = MANIFEST
        self._events, self._error = events, error

    def stream(self):
        yield from self._events
        if self._error:
            raise self._error


def _output(uid: str, name: str) -> dg.Output:
    return dg.Output(None, output_name=name, metadata={"unique_id": uid, "execution_duration": 0.1})


def _key(output_name: str) -> dg.AssetKey:
    return dg.AssetKey(["layer", output_name])


def test_dbt_events_pass_through_as_they_come_then_one_row_count_per_table(warehouse):
    check = dg.AssetCheckResult(asset_key=dg.AssetKey(["marts", "genomflode"]), check_name="unique", passed=True)
    events = [
        _output("seed.finsam.kodlistor", "kodlistor"),
        _output("model.finsam.genomflode", "genomflode"),
        check,
        _output("model.finsam.stg_x", "stg_x"),
    ]
    out = list(with_row_counts(FakeInvocation(events), warehouse, _key))
    assert out[:4] == events  # untouched, in dbt's order (no holding back: see pipelines/transform/dbt_build.py)
    observations = {e.asset_key: e.metadata["dagster/row_count"].value for e in out[4:]}
    assert all(isinstance(e, dg.AssetObservation) for e in out[4:])
    assert observations == {_key("kodlistor"): 5, _key("genomflode"): 42}  # the view is not counted


def test_row_counts_are_still_reported_when_dbt_fails(warehouse):
    failure = dg.Failure(description="dbt build failed")
    events = [_output("model.finsam.genomflode", "genomflode")]
    seen = []
    with pytest.raises(dg.Failure, match="dbt build failed"):
        for e in with_row_counts(FakeInvocation(events, failure), warehouse, _key):
            seen.append(e)
    assert seen[0] is events[0]
    assert seen[1].asset_key == _key("genomflode") and seen[1].metadata["dagster/row_count"].value == 42


def test_old_run_target_dirs_are_pruned_young_and_newest_kept(tmp_path):
    now = time.time()
    ages_h = {"finsam_dbt_assets-aaaaaaa-0000001": 0.1, "finsam_dbt_assets-bbbbbbb-0000002": 10, "finsam_dbt_assets-ccccccc-0000003": 20,
              "finsam_dbt_assets-ddddddd-0000004": 30, "finsam_dbt_assets-eeeeeee-0000005": 40, "compiled": 50, "run": 50}  # fmt: skip
    for name, hours in ages_h.items():
        d = tmp_path / name
        d.mkdir()
        (d / "dbt.log").write_text("x")
        os.utime(d, (now - hours * 3600, now - hours * 3600))
    (tmp_path / "manifest.json").write_text("{}")
    removed = prune_run_targets(tmp_path, keep=3, min_age_hours=6)
    assert sorted(p.name for p in removed) == ["finsam_dbt_assets-ddddddd-0000004", "finsam_dbt_assets-eeeeeee-0000005"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compiled", "finsam_dbt_assets-aaaaaaa-0000001", "finsam_dbt_assets-bbbbbbb-0000002",
        "finsam_dbt_assets-ccccccc-0000003", "manifest.json", "run",
    ]  # fmt: skip
    # a dir younger than min_age is never removed, even beyond `keep`
    assert (
        prune_run_targets(tmp_path, keep=0, min_age_hours=6)
        and (tmp_path / "finsam_dbt_assets-aaaaaaa-0000001").exists()
    )


def _settings(tmp_path):
    return Settings(
        landing_dir=tmp_path / "landing", data_dir=tmp_path, as_of=dt.date(2026, 10, 31),
        pseudonym_key=b"k", using_demo_key=True, suppression_threshold=3,
    )  # fmt: skip


def test_dbt_docs_are_current_only_when_complete_and_of_the_same_project(tmp_path):
    settings = _settings(tmp_path)
    out = docs_dir(settings)
    out.mkdir(parents=True)
    assert not docs_are_current(settings, "abc")
    (out / DOCS_FINGERPRINT).write_text("abc")
    assert not docs_are_current(settings, "abc")  # the files themselves are missing
    for name in DOCS_FILES.values():
        (out / name).write_text("x")
    assert docs_are_current(settings, "abc")
    assert not docs_are_current(settings, "def")


def test_the_docs_use_a_kept_build_only_of_the_same_project_and_whole(tmp_path):
    settings = _settings(tmp_path)
    run_target = tmp_path / "target" / "finsam_dbt_assets-aaaaaaa-0000001"
    run_target.mkdir(parents=True)
    for name in BUILD_FILES:
        (run_target / name).write_text(f"{name} of the build")
    assert kept_build(settings, "abc") is None  # nothing kept yet
    keep_build_for_docs(run_target, settings, "abc")
    kept = kept_build(settings, "abc")
    assert kept is not None and (kept / "manifest.json").read_text() == "manifest.json of the build"
    assert kept_build(settings, "def") is None  # the project changed since that build
    assert kept_build(settings, None) is None
    # a newer build replaces it whole
    (run_target / "manifest.json").write_text("the next build")
    keep_build_for_docs(run_target, settings, "def")
    assert kept_build(settings, "abc") is None
    assert (kept_build(settings, "def") / "manifest.json").read_text() == "the next build"
    (kept_build(settings, "def") / "partial_parse.msgpack").unlink()  # incomplete: not used
    assert kept_build(settings, "def") is None
    # a build without its parse state keeps nothing, not the older build's
    keep_build_for_docs(run_target, settings, "def")
    (run_target / "partial_parse.msgpack").unlink()
    keep_build_for_docs(run_target, settings, "ghi")
    assert kept_build(settings, "def") is None and kept_build(settings, "ghi") is None
