"""`finsam refresh` killed with SIGKILL at any moment: BI never sees half a refresh.

A copy of the session's published demo data dir (tests/integration/conftest.py) is the
"previous publish"; four refreshes on it, two of them as far as publish (~2 refresh times).
Every refresh here runs with --force: the inputs are those of the copied publish, and an
unchanged refresh would skip dbt and publish (pipelines/transform/inputs.py).
1. a refresh killed during dbt, its whole process group (as systemd or a container runtime
   kills), while a second `finsam refresh` is refused with exit code 3: the published files
   are untouched, no temporary file is left;
2. the next refresh gets going regardless: it finds the dead refresh in the lock file, marks
   its run failed, gives back its pool slot (else it would wait for ever), and DuckDB recovers
   the half-written warehouse from its WAL; it is killed during publish, as soon as
   bi.duckdb.tmp appears (only the refresh process): bi.duckdb and the Parquet files are
   unchanged byte for byte (or, if the kill lost the race with the rename, bi.duckdb whole
   and new); the lock watchdog reaps it;
3. the next refresh succeeds, cleans up what the killed publish left, and publishes the same
   marts as before;
4. a refresh killed after 2 seconds, starting up: bi.duckdb and the Parquet files unchanged.
The deterministic kill points inside publish() are in test_crash_publish.py.
"""

import hashlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
from cli_refresh import refresh_command, refresh_env


class Refresh:
    """`finsam refresh` in the background, its output collected line by line."""

    def __init__(self, data: Path) -> None:
        self.proc = subprocess.Popen(
            refresh_command(data, "--force"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=refresh_env(),
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.05)
        return any(text in line for line in self.lines)

    def kill(self, group: bool = False) -> None:
        if group:
            os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL, "".join(self.lines[-20:])
        self._reader.join(timeout=10)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published(data: Path) -> dict:
    """What BI tools see: bi.duckdb's bytes and every Parquet file behind the `bi` link."""
    version = (data / "bi").resolve()
    return {
        "bi.duckdb": _digest(data / "bi.duckdb"),
        "parquet_version": version.name,
        "parquet": {p.name: _digest(p) for p in sorted(version.glob("*.parquet"))},
    }


def _mart_rows(db: Path, catalog_schema: str = "marts") -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' order by 1",
            [catalog_schema],
        ).fetchall()]  # fmt: skip
        return {n: con.execute(f"select count(*) from {catalog_schema}.{n}").fetchone()[0] for n in names}


def _leftovers(data: Path) -> list[str]:
    found = [
        p.name for p in data.iterdir() if ".tmp" in p.name or p.name.startswith(".bi.link") or p.name.endswith(".wal")
    ]
    found += [f"docs/dbt/{p.name}" for p in (data / "docs" / "dbt").glob(".*.tmp")]
    return sorted(found)


def test_a_killed_refresh_never_touches_what_bi_reads(published_copy, monkeypatch):
    data = published_copy()
    before = _published(data)
    marts_before = _mart_rows(data / "bi.duckdb")
    assert len(before["parquet"]) == len(marts_before) >= 10

    # 1. a refresh killed during dbt; meanwhile a second refresh is refused
    in_dbt = Refresh(data)
    assert in_dbt.wait_for("Running dbt command", timeout=300), "".join(in_dbt.lines[-30:])
    time.sleep(3)  # dbt is building tables in warehouse.duckdb
    second = subprocess.run(
        refresh_command(data, "--force"), capture_output=True, text=True, timeout=300, env=refresh_env()
    )
    assert second.returncode == 3, second.stdout[-2000:] + second.stderr[-2000:]
    assert f"another refresh is running (pid {in_dbt.proc.pid} since " in second.stderr
    in_dbt.kill(group=True)
    assert _published(data) == before
    assert _leftovers(data) in ([], ["warehouse.duckdb.wal"])

    # 2. the next refresh gets past the dead one as far as publish, and is killed there, as soon
    # as bi.duckdb.tmp exists
    in_publish = Refresh(data)
    tmp = data / "bi.duckdb.tmp"
    deadline = time.monotonic() + 600
    while not tmp.exists() and in_publish.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert tmp.exists(), "publish never started: " + "".join(in_publish.lines[-30:])
    in_publish.kill()
    if tmp.exists():  # killed before the rename: the previous publish, byte for byte
        assert _published(data) == before
    else:  # the rename won the race: then bi.duckdb is the new publish, whole
        assert _mart_rows(data / "bi.duckdb") == _mart_rows(data / "warehouse.duckdb")
    assert (data / "refresh.lock").read_text() != ""  # the dead refresh's name is still in the lock file

    # the watchdog reaps it
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

    from pipelines.ops.lock import reap_if_abandoned

    monkeypatch.delenv("FINSAM_ALERT_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(data / "dagster_home"))  # dagster.yaml's event log reads it
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        assert "was marked failed" in reap_if_abandoned(instance, data)
        unfinished = instance.get_runs(
            filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
        )
        assert unfinished == []  # nothing left to hold the run queue
        assert (
            len(instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE]))) == 2
        )  # dbt and publish kills
        assert instance.event_log_storage.get_concurrency_info("warehouse_writer").claimed_slots == []
    alerts = (data / "alerts.log").read_text(encoding="utf-8").splitlines()
    assert sum("killed or crashed" in line and "\ttrigger=cli\t" in line for line in alerts) >= 2

    # 3. the next refresh succeeds, and its publish cleans up
    done = subprocess.run(
        refresh_command(data, "--force"), capture_output=True, text=True, timeout=900, env=refresh_env()
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert _leftovers(data) == [] and (data / "refresh.lock").read_text() == ""
    assert (data / "docs" / "dbt" / "index.html").stat().st_size > 100_000 and "dbt docs" in done.stdout
    assert len(list((data / "bi_versions").iterdir())) <= 2
    assert _mart_rows(data / "bi.duckdb") == marts_before  # same exports, same marts
    published = _published(data)

    # 4. killed while starting up
    early = Refresh(data)
    time.sleep(2)
    early.kill()
    assert _published(data) == published
