"""When the refresh runs by itself: every night, and when files land."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.discovery import FileStat, kind_of, remembered_sha256
from pipelines.ingest.load import has_ledger
from pipelines.ops.lock import lock_path, read_holder
from pipelines.settings import get_settings
from pipelines.sources.spec import load_specs

NIGHTLY_CRON = "30 4 * * *"  # 04:30, outside the hours a DST change skips or repeats (02:00–03:00)
TIMEZONE = "Europe/Stockholm"


def landing_files(landing_dir: Path) -> list[Path]:
    """The files ingest would read: named after a source kind (others it ignores, and so do we)."""
    if not landing_dir.is_dir():
        return []
    kinds = list(load_specs())
    return sorted(p for p in landing_dir.iterdir() if p.is_file() and kind_of(p.name, kinds) is not None)


def scan_landing(landing_dir: Path, previous: dict[str, list]) -> dict[str, list]:
    """{file name: [size, mtime_ns, sha256, ctime_ns, inode]}: a file is hashed again only when its
    file status moved, by the rule ingest uses (pipelines/ingest/discovery.py); a file too young to
    trust has no ctime_ns and inode, so it is hashed again on the next tick. (The SHA-256 is third,
    where cursors written before the ctime and inode were added have it too.)"""
    known = {FileStat(name, v[0], v[1], v[3], v[4]): v[2] for name, v in previous.items() if len(v) == 5}
    state: dict[str, list] = {}
    for path in landing_files(landing_dir):
        stat = path.stat()
        sha256, key = remembered_sha256(path, stat, known)
        state[path.name] = [stat.st_size, stat.st_mtime_ns, sha256] + ([key.ctime_ns, key.inode] if key else [])
    return state


def loaded_hashes(warehouse: Path) -> set[str] | None:
    """SHA-256 of every file the warehouse has loaded, by whichever refresh (CLI, schedule, sensor,
    UI); None when it cannot be read now (a refresh is writing it), then the cursor alone decides."""
    if not warehouse.exists():
        return set()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if not has_ledger(con):
                return set()
            return {r[0] for r in con.execute("select sha256 from raw._file_ledger where status = 'loaded'").fetchall()}
    except duckdb.Error:
        return None


def landing_run_key(state: dict[str, list]) -> str:
    """The run key is a hash of the landing folder's contents, so the same bytes never start two runs."""
    digest = hashlib.sha256("\n".join(sorted(v[2] for v in state.values())).encode()).hexdigest()
    return f"landing-{digest[:32]}"


def build_automation(job: dg.UnresolvedAssetJobDefinition):
    nightly = dg.ScheduleDefinition(
        name="nightly_refresh",
        job=job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The nightly refresh at 04:30 Europe/Stockholm.",
    )

    @dg.sensor(
        name="landing_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a refresh when a file in the landing folder is new or its content changed.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext):
        settings = get_settings()
        previous = json.loads(context.cursor) if context.cursor else {}
        state = scan_landing(settings.landing_dir, previous)
        context.update_cursor(json.dumps(state))
        # What the warehouse has loaded counts as seen: a data dir that `finsam refresh` loaded
        # starts no run on the sensor's first tick in the UI (no cursor yet).
        # While a refresh holds the lock it writes the warehouse: leave it alone (even a read-only
        # open can collide with the writer's), the cursor decides until the next tick.
        refreshing = read_holder(lock_path(settings.data_dir)) is not None
        seen = {v[2] for v in previous.values()} | (
            set() if refreshing else loaded_hashes(settings.warehouse_path) or set()
        )
        changed = sorted(name for name, v in state.items() if v[2] not in seen)
        if not changed:
            return dg.SkipReason(
                f"no new or changed files in the landing folder (files loaded or seen before: {len(state)})"
            )
        return dg.RunRequest(
            run_key=landing_run_key(state), tags={"finsam/trigger": "landing", "finsam/files": ",".join(changed)[:200]}
        )

    return nightly, landing_sensor
