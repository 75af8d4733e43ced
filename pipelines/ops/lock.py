"""The refresh lock: `<data dir>/refresh.lock`, so that two refreshes never write at once.

DuckDB already refuses a second writer on `warehouse.duckdb`, but only per statement: two
refreshes could still interleave (one ingesting while the other runs dbt or publishes). The
lock covers a whole refresh.

Who takes it
- `finsam refresh` (pipelines/run.py), before the Dagster run starts, so a busy refresh exits
  at once with a clear message and leaves no failed run behind.
- Every run that writes (schedule, sensor, UI): the `refresh_lock` resource, required by the
  ingest, dbt, publish and docs assets. With the in-process executor a resource is set up once
  per run, before the first step, and torn down after the last: the lock spans the whole run.
  In the CLI's process the resource finds the lock already held and only records the run id.

How it behaves
- `fcntl.flock` on an open file: the kernel drops it when the process ends, also on SIGKILL,
  so a killed refresh never leaves a lock behind. The file itself stays (unlinking a lock file
  lets two processes lock two different inodes).
- The holder writes `{"pid", "host", "since", "run_id", "trigger"}` into the file and empties
  it on a clean release. A non-empty file found by the next holder therefore names a refresh
  that died while holding the lock: its run, if still "started" in the Dagster instance, is
  marked failed (otherwise it would occupy the only run slot of the queue for ever). Whoever
  takes the lock next does this, and the `refresh_lock_watchdog` sensor within a minute when
  nobody does (it touches the lock only when the file names a holder that no longer holds it).
- A second refresh waits up to `FINSAM_LOCK_TIMEOUT` seconds: default 0 for `finsam refresh`
  (exit code 3 and "another refresh is running (pid N on host since T, run R)") and 3600 for
  runs started by the daemon or the UI (they queue behind a manual refresh; after the timeout
  the run fails and the failure alert fires).
"""

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg

from pipelines.ops.alerts import Alert, run_trigger, send_alert
from pipelines.settings import ENV_LOCK_TIMEOUT, get_settings

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "refresh.lock"
CLI_DEFAULT_TIMEOUT = 0.0
RUN_DEFAULT_TIMEOUT = 3600.0
POLL_SECONDS = 0.5


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_FILE_NAME


def lock_timeout(default: float) -> float:
    """Seconds to wait for the lock: FINSAM_LOCK_TIMEOUT (settings), else the caller's default."""
    configured = get_settings().lock_timeout_seconds
    return default if configured is None else configured


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    since: str
    run_id: str | None = None
    trigger: str | None = None

    def describe(self) -> str:
        where = f"pid {self.pid} on {self.host}" if self.host != socket.gethostname() else f"pid {self.pid}"
        run = f", run {self.run_id[:8]}" if self.run_id else ""
        return f"{where} since {self.since}{run}"


class RefreshBusy(RuntimeError):
    """Another refresh holds the lock."""

    def __init__(self, path: Path, holder: Holder | None, waited: float) -> None:
        self.path = path
        self.holder = holder
        self.waited = waited
        who = holder.describe() if holder else "holder unknown"
        super().__init__(
            f"another refresh is running ({who}); waited {waited:.0f} s for {path}. "
            f"Try again when it has finished, or set {ENV_LOCK_TIMEOUT}=<seconds> to wait for it."
        )


def read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


@dataclass
class _Held:
    fd: int
    depth: int
    holder: Holder


# Locks held by this process, by path: the CLI takes the lock, then the run's resource enters
# it again in the same process. flock would refuse that second open file, so count instead.
_held: dict[str, _Held] = {}
_held_guard = threading.Lock()


class RefreshLock:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def _key(self) -> str:
        return str(self.path.resolve())

    def held_here(self) -> bool:
        with _held_guard:
            return self._key in _held

    def acquire(self, timeout: float, *, run_id: str | None = None, trigger: str | None = None) -> Holder | None:
        """Take the lock, waiting up to `timeout` seconds; raise RefreshBusy after that.

        Returns the previous holder when it died holding the lock (its info was still in the
        file), else None.
        """
        with _held_guard:
            held = _held.get(self._key)
            if held is not None:
                held.depth += 1
                if run_id and not held.holder.run_id:
                    held.holder = Holder(
                        **{**asdict(held.holder), "run_id": run_id, "trigger": trigger or held.holder.trigger}
                    )
                    _write(held.fd, held.holder)
                return None

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        started = time.monotonic()
        announced = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - started
                    if waited >= timeout:
                        raise RefreshBusy(self.path, read_holder(self.path), waited) from None
                    if not announced:
                        holder = read_holder(self.path)
                        log.warning(
                            "waiting up to %.0f s for the refresh lock (%s)",
                            timeout,
                            holder.describe() if holder else self.path,
                        )
                        announced = True
                    time.sleep(min(POLL_SECONDS, max(0.0, timeout - waited)))
        except BaseException:
            os.close(fd)
            raise

        stale = read_holder(self.path)
        holder = Holder(
            pid=os.getpid(),
            host=socket.gethostname(),
            since=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            run_id=run_id,
            trigger=trigger,
        )
        _write(fd, holder)
        with _held_guard:
            _held[self._key] = _Held(fd=fd, depth=1, holder=holder)
        return stale

    def release(self) -> None:
        with _held_guard:
            held = _held.get(self._key)
            if held is None:
                return
            held.depth -= 1
            if held.depth > 0:
                return
            del _held[self._key]
        try:
            os.ftruncate(held.fd, 0)  # a clean release leaves an empty file
        finally:
            fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)

    @contextmanager
    def hold(self, timeout: float, *, run_id: str | None = None, trigger: str | None = None) -> Iterator[Holder | None]:
        stale = self.acquire(timeout, run_id=run_id, trigger=trigger)
        try:
            yield stale
        finally:
            self.release()


def _write(fd: int, holder: Holder) -> None:
    data = json.dumps(asdict(holder)).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def reap_dead_holder(instance: dg.DagsterInstance | None, stale: Holder | None, data_dir: Path) -> str | None:
    """The previous holder died holding the lock: mark its run failed if it is still 'started'.

    Returns the message (logged, and sent as an alert for CLI runs: the run-failure sensor
    leaves those to the CLI), or None when there was nothing to do.
    """
    if stale is None:
        return None
    message = (
        f"a previous refresh ({stale.describe()}) ended without releasing {LOCK_FILE_NAME}: it was killed or crashed"
    )
    run = instance.get_run_by_id(stale.run_id) if (instance is not None and stale.run_id) else None
    was_running = run is not None and not run.is_finished
    if was_running:
        instance.report_run_failed(run, f"{message}; marked failed by the next refresh.")
        message += f"; its run {run.run_id} was marked failed"
    if instance is not None:
        free_pool_slots_of_finished_runs(instance)
    log.warning(message)
    if run is None or (was_running and run_trigger(run.tags) == "cli"):
        send_alert(
            Alert(
                job=run.job_name if run else "refresh",
                run_id=stale.run_id or "",
                trigger=stale.trigger or "unknown",
                message=message,
            ),
            data_dir,
        )
    return message


def free_pool_slots_of_finished_runs(instance: dg.DagsterInstance) -> int:
    """Give back the `warehouse_writer` pool slots that finished runs still hold.

    A run killed in a writing step never frees its pool slot, and marking it failed does not
    either: every later run would wait for the slot for ever ("Step blocked by limit for pool").
    The daemon frees such slots after `free_slots_after_run_end_seconds`; `finsam refresh` may
    run without a daemon, so the next refresh does it too. Only finished runs are touched.
    """
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    freed = 0
    for run_id in storage.get_concurrency_run_ids():
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            freed += 1
    if freed:
        log.warning("freed the pool slots of %d finished run(s)", freed)
    return freed


class RefreshLockResource(dg.ConfigurableResource):
    """Holds `<data dir>/refresh.lock` for the whole run (see pipelines/ops/lock.py)."""

    timeout_seconds: float | None = None  # None: FINSAM_LOCK_TIMEOUT, else one hour

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["RefreshLockResource"]:
        settings = get_settings()
        run = context.run
        timeout = self.timeout_seconds if self.timeout_seconds is not None else lock_timeout(RUN_DEFAULT_TIMEOUT)
        lock = RefreshLock(lock_path(settings.data_dir))
        stale = lock.acquire(
            timeout, run_id=run.run_id if run else None, trigger=run_trigger(run.tags) if run else None
        )
        try:
            reap_dead_holder(context.instance, stale, settings.data_dir)
            yield self
        finally:
            lock.release()


@contextmanager
def cli_refresh_lock(data_dir: Path) -> Iterator[None]:
    """The lock for `finsam refresh`: taken before the run starts, held until the summary is read.

    Waits FINSAM_LOCK_TIMEOUT seconds (default 0), then raises RefreshBusy. The run's own
    `refresh_lock` resource, in this same process, then finds it held and records its run id.
    """
    lock = RefreshLock(lock_path(data_dir))
    stale = lock.acquire(lock_timeout(CLI_DEFAULT_TIMEOUT), trigger="cli")
    try:
        instance = dg.DagsterInstance.get()
        reap_dead_holder(instance, stale, data_dir)
        free_pool_slots_of_finished_runs(instance)
        yield
    finally:
        lock.release()


def reap_if_abandoned(instance: dg.DagsterInstance | None, data_dir: Path) -> str | None:
    """If the lock file names a holder but nobody holds the lock, that refresh died: reap it.

    Touches the lock only when the file is non-empty, so it never gets in the way of a refresh
    starting (an empty file means the last holder released it cleanly).
    """
    path = lock_path(data_dir)
    if read_holder(path) is None:
        return None
    lock = RefreshLock(path)
    try:
        stale = lock.acquire(0.0)
    except RefreshBusy:
        return None  # a live refresh holds it
    try:
        return reap_dead_holder(instance, stale, data_dir)
    finally:
        lock.release()


@dg.sensor(
    name="refresh_lock_watchdog",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Finds a refresh that was killed while holding <data dir>/refresh.lock and marks its run "
        "failed within a minute (the run-failure alert and a run retry follow), instead of it "
        "holding the only run slot until run monitoring's 3-hour limit."
    ),
)
def refresh_lock_watchdog(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    message = reap_if_abandoned(context.instance, get_settings().data_dir)
    return dg.SkipReason(message or "no abandoned refresh")
