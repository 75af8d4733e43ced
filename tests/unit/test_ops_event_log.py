"""The instance's event log (pipelines/ops/event_log.py, set in dagster.yaml): Dagster's SQLite
files, written through connections kept open, read back by Dagster's own storage class."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.storage.event_log import SqliteEventLogStorage

from pipelines.ops.event_log import KEPT_ENGINES, PooledSqliteEventLogStorage
from pipelines.settings import PROJECT_ROOT


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A DagsterInstance on the project's dagster.yaml, as `finsam refresh` makes one."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def _run_with_materializations(instance: dg.DagsterInstance, assets: int) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="refresh", run_id=run_id))
    for i in range(assets):
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["marts", f"mart_{i}"]))
        instance.report_engine_event(f"step {i} done", DagsterRun(job_name="refresh", run_id=run_id))
    return run_id


def _open_db_files(directory: Path) -> set[str]:
    """The SQLite files of `directory` this process holds open."""
    names = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.parent == directory and target.suffix == ".db":
            names.add(target.name)
    return names


def test_the_project_instance_uses_the_pooled_event_log_in_dagsters_own_files(instance):
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    run_id = _run_with_materializations(instance, 3)
    runs = Path(os.environ["DAGSTER_HOME"]) / "history" / "runs"
    assert {p.name for p in runs.glob("*.db")} >= {"index.db", f"{run_id}.db"}

    # Dagster's own class, as the UI of an older installation would read them
    stock = SqliteEventLogStorage(base_dir=str(runs))
    assert [e.message for e in stock.get_logs_for_run(run_id)] == ["step 0 done", "step 1 done", "step 2 done"]
    latest = stock.get_latest_materialization_events([dg.AssetKey(["marts", "mart_2"])])
    assert latest[dg.AssetKey(["marts", "mart_2"])] is not None


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_a_process_reading_many_runs_keeps_only_a_few_files_open(instance):
    runs = Path(os.environ["DAGSTER_HOME"]) / "history" / "runs"
    run_ids = [_run_with_materializations(instance, 1) for _ in range(KEPT_ENGINES + 4)]
    for run_id in run_ids:  # as the UI does, reading one run after another
        assert len(instance.all_logs(run_id)) == 1
    held = _open_db_files(runs)
    assert "index.db" in held and len(held) <= KEPT_ENGINES
    assert f"{run_ids[-1]}.db" in held and f"{run_ids[0]}.db" not in held

    instance.event_log_storage.dispose()
    assert _open_db_files(runs) == set()
