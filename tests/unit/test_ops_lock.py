"""The refresh lock: one refresh at a time, across processes; a killed holder never blocks."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from pipelines.ops.lock import (
    RefreshBusy,
    RefreshLock,
    RefreshLockResource,
    lock_path,
    lock_timeout,
    read_holder,
    reap_dead_holder,
    reap_if_abandoned,
    refresh_lock_watchdog,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A second process that takes the lock through the real class, says so, and holds it.
HOLDER = """
import sys, time
from pathlib import Path
from pipelines.ops.lock import RefreshLock
lock = RefreshLock(Path(sys.argv[1]))
lock.acquire(0, run_id=sys.argv[2] or None, trigger="test")
print("locked", flush=True)
time.sleep(float(sys.argv[3]))
lock.release()
print("released", flush=True)
"""


class Holder:
    def __init__(self, path: Path, seconds: float = 60, run_id: str = "") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), run_id, str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
        )
        assert self.proc.stdout.readline().strip() == "locked"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def wait(self) -> None:
        self.proc.wait(timeout=30)


def test_acquire_writes_the_holder_and_a_clean_release_empties_the_file(tmp_path):
    path = lock_path(tmp_path)
    lock = RefreshLock(path)
    assert lock.acquire(0, run_id="run-1", trigger="cli") is None
    holder = read_holder(path)
    assert holder.pid == os.getpid() and holder.run_id == "run-1" and holder.trigger == "cli"
    lock.release()
    assert path.exists() and path.read_text() == ""  # the file stays; only its content goes
    assert read_holder(path) is None


def test_a_second_process_is_refused_at_once_with_who_holds_it(tmp_path):
    path = lock_path(tmp_path)
    holder = Holder(path, run_id="abcdef12-run")
    try:
        started = time.monotonic()
        with pytest.raises(RefreshBusy) as busy:
            RefreshLock(path).acquire(0)
        assert time.monotonic() - started < 1
        message = str(busy.value)
        assert message.startswith(f"another refresh is running (pid {holder.proc.pid} since ")
        assert "run abcdef12" in message and "FINSAM_LOCK_TIMEOUT" in message
        # with a timeout it waits that long, then gives up
        started = time.monotonic()
        with pytest.raises(RefreshBusy):
            RefreshLock(path).acquire(1.0)
        assert 0.9 <= time.monotonic() - started < 3
    finally:
        holder.kill()


def test_a_waiting_refresh_gets_the_lock_when_the_first_one_finishes(tmp_path):
    path = lock_path(tmp_path)
    holder = Holder(path, seconds=1.5)
    lock = RefreshLock(path)
    started = time.monotonic()
    assert lock.acquire(30) is None  # released cleanly: nothing stale
    assert 0.5 < time.monotonic() - started < 15
    lock.release()
    holder.wait()


def test_a_killed_holder_releases_the_lock_and_is_reported_stale(tmp_path):
    path = lock_path(tmp_path)
    holder = Holder(path, run_id="dead-run")
    pid = holder.proc.pid
    holder.kill()  # SIGKILL: no cleanup code runs
    lock = RefreshLock(path)
    stale = lock.acquire(0)
    try:
        assert stale is not None and stale.pid == pid and stale.run_id == "dead-run"
    finally:
        lock.release()


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    path = lock_path(tmp_path)
    outer, inner = RefreshLock(path), RefreshLock(path)
    outer.acquire(0, trigger="cli")
    inner.acquire(0, run_id="the-run")  # the run's resource inside `finsam refresh`
    assert read_holder(path).run_id == "the-run" and read_holder(path).trigger == "cli"
    inner.release()
    assert outer.held_here() and read_holder(path) is not None
    outer.release()
    assert not outer.held_here() and read_holder(path) is None


def test_lock_timeout_from_the_environment(monkeypatch):
    monkeypatch.delenv("FINSAM_LOCK_TIMEOUT", raising=False)
    assert lock_timeout(0.0) == 0.0 and lock_timeout(3600.0) == 3600.0
    monkeypatch.setenv("FINSAM_LOCK_TIMEOUT", "90")
    assert lock_timeout(0.0) == 90.0
    monkeypatch.setenv("FINSAM_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="FINSAM_LOCK_TIMEOUT"):
        lock_timeout(0.0)


def _started_run(instance: dg.DagsterInstance, trigger: str) -> DagsterRun:
    run = DagsterRun(
        job_name="refresh",
        run_id=f"run-{trigger}-0001",
        status=DagsterRunStatus.STARTED,
        tags={"finsam/trigger": trigger},
    )
    return instance.add_run(run)


@pytest.mark.parametrize("trigger, alerted", [("cli", True), ("schedule", False)])
def test_the_run_of_a_dead_holder_is_marked_failed(tmp_path, trigger, alerted, monkeypatch):
    monkeypatch.delenv("FINSAM_ALERT_WEBHOOK_URL", raising=False)
    path = lock_path(tmp_path)
    with dg.instance_for_test() as instance:
        run = _started_run(instance, trigger)
        holder = Holder(path, run_id=run.run_id)
        holder.kill()
        lock = RefreshLock(path)
        stale = lock.acquire(0)
        message = reap_dead_holder(instance, stale, tmp_path)
        lock.release()
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
        assert "killed or crashed" in message and run.run_id in message
        alerts = (tmp_path / "alerts.log").read_text() if (tmp_path / "alerts.log").exists() else ""
        # daemon runs are alerted by the run-failure sensor when they are marked failed
        assert (run.run_id in alerts) is alerted


def test_the_watchdog_reaps_an_abandoned_lock_but_never_a_live_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path))
    path = lock_path(tmp_path)
    with dg.instance_for_test() as instance:
        run = _started_run(instance, "schedule")
        live = Holder(path, run_id=run.run_id)
        try:
            assert reap_if_abandoned(instance, tmp_path) is None
            assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED
        finally:
            live.kill()
        result = refresh_lock_watchdog(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason) and "killed or crashed" in result.skip_message
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
        assert read_holder(path) is None  # reaped once, not again
        assert reap_if_abandoned(instance, tmp_path) is None


@dg.asset(required_resource_keys={"refresh_lock"})
def _writes(context: dg.AssetExecutionContext) -> None:
    holder = read_holder(lock_path(Path(os.environ["FINSAM_DATA_DIR"])))
    assert holder is not None and holder.run_id == context.run.run_id


def test_the_resource_holds_the_lock_for_the_run_and_fails_the_run_when_busy(tmp_path, monkeypatch):
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path))
    path = lock_path(tmp_path)
    ok = dg.materialize([_writes], resources={"refresh_lock": RefreshLockResource()})
    assert ok.success and read_holder(path) is None

    holder = Holder(path)
    try:
        busy = dg.materialize(
            [_writes], resources={"refresh_lock": RefreshLockResource(timeout_seconds=0.5)}, raise_on_error=False
        )
        assert not busy.success
        errors = [
            e
            for e in busy.all_events
            if e.event_specific_data is not None and getattr(e.event_specific_data, "error", None)
        ]
        assert any("another refresh is running" in json.dumps(str(e.event_specific_data.error)) for e in errors)
    finally:
        holder.kill()


def test_the_pool_slot_of_a_killed_run_is_given_back(tmp_path):
    """A run killed in a writing step keeps its `warehouse_writer` slot; every later run would
    wait for it ("Step blocked by limit for pool") until the next refresh gives it back."""
    path = lock_path(tmp_path)
    with dg.instance_for_test() as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("warehouse_writer", 1)
        run = _started_run(instance, "cli")
        assert storage.claim_concurrency_slot("warehouse_writer", run.run_id, "finsam_dbt_assets").is_claimed
        other = DagsterRun(job_name="refresh", run_id="run-waiting-0002", status=DagsterRunStatus.STARTED)
        instance.add_run(other)
        assert not storage.claim_concurrency_slot("warehouse_writer", other.run_id, "raw__insatser").is_claimed

        holder = Holder(path, run_id=run.run_id)
        holder.kill()
        lock = RefreshLock(path)
        reap_dead_holder(instance, lock.acquire(0), tmp_path)
        lock.release()
        assert storage.get_concurrency_info("warehouse_writer").claimed_slots == []
        assert storage.claim_concurrency_slot("warehouse_writer", other.run_id, "raw__insatser").is_claimed
