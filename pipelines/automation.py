"""When the refresh runs by itself: every night, and when files land."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.settings import get_settings

NIGHTLY_CRON = "30 4 * * *"  # 04:30, outside the hours a DST change skips or repeats (02:00–03:00)
TIMEZONE = "Europe/Stockholm"
LANDING_SUFFIXES = {".csv", ".txt", ".xlsx"}


def landing_files(landing_dir: Path) -> list[Path]:
    if not landing_dir.is_dir():
        return []
    return sorted(
        p for p in landing_dir.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in LANDING_SUFFIXES
    )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def scan_landing(landing_dir: Path, previous: dict[str, list]) -> dict[str, list]:
    """{file name: [size, mtime_ns, sha256]}; a file is hashed again only when size or mtime moved."""
    state: dict[str, list] = {}
    for path in landing_files(landing_dir):
        st = path.stat()
        prev = previous.get(path.name)
        if prev and prev[0] == st.st_size and prev[1] == st.st_mtime_ns:
            state[path.name] = prev
        else:
            state[path.name] = [st.st_size, st.st_mtime_ns, file_sha256(path)]
    return state


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
        previous = json.loads(context.cursor) if context.cursor else {}
        state = scan_landing(get_settings().landing_dir, previous)
        context.update_cursor(json.dumps(state))
        previous_hashes = {v[2] for v in previous.values()}
        changed = sorted(name for name, v in state.items() if v[2] not in previous_hashes)
        if not changed:
            return dg.SkipReason("no new or changed files in the landing folder")
        return dg.RunRequest(run_key=landing_run_key(state), tags={"finsam/trigger": "landing", "finsam/files": ",".join(changed)[:200]})

    return nightly, landing_sensor
