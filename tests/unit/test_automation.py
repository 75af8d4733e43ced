"""The nightly schedule and the landing sensor."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from pipelines.automation import NIGHTLY_CRON, TIMEZONE, build_automation

STOCKHOLM = ZoneInfo(TIMEZONE)


@pytest.fixture()
def automation():
    job = dg.define_asset_job("refresh", selection=dg.AssetSelection.all())
    return build_automation(job)


def _ticks(start_local: dt.datetime, n: int) -> list[dt.datetime]:
    it = cron_string_iterator(start_local.timestamp(), NIGHTLY_CRON, TIMEZONE)
    return [next(it).astimezone(STOCKHOLM) for _ in range(n)]


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 11, 23),  # an ordinary day
        dt.date(2026, 3, 28),  # the night before clocks go forward (29 March 2026)
        dt.date(2026, 10, 24),  # the night before clocks go back (25 October 2026)
    ],
)
def test_schedule_ticks_once_a_day_at_0430_stockholm_across_dst(automation, day):
    schedule, _ = automation
    assert schedule.cron_schedule == "30 4 * * *"
    assert schedule.execution_timezone == "Europe/Stockholm"
    start = dt.datetime.combine(day, dt.time(12, 0), tzinfo=STOCKHOLM)
    ticks = _ticks(start, 3)
    assert [t.date() for t in ticks] == [day + dt.timedelta(days=i) for i in (1, 2, 3)]
    assert all((t.hour, t.minute) == (4, 30) for t in ticks)
    # exactly 24 h apart in local wall time, but 23 h or 25 h of real time across a DST change
    utc_gaps = {(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(ticks)}
    assert utc_gaps <= {23.0, 24.0, 25.0}


def test_schedule_on_dst_days_uses_local_time(automation):
    spring = _ticks(dt.datetime(2026, 3, 28, 12, tzinfo=STOCKHOLM), 1)[0]
    autumn = _ticks(dt.datetime(2026, 10, 24, 12, tzinfo=STOCKHOLM), 1)[0]
    assert spring.astimezone(dt.UTC).hour == 2  # CEST = UTC+2
    assert autumn.astimezone(dt.UTC).hour == 3  # CET = UTC+1


@pytest.fixture()
def landing(tmp_path, monkeypatch):
    """An empty landing folder the sensor watches, in a data dir of its own (tmp_path)."""
    folder = tmp_path / "landing"
    folder.mkdir()
    monkeypatch.setenv("FINSAM_LANDING_DIR", str(folder))
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path))
    return folder


def _evaluate(sensor, cursor):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(cursor=cursor, instance=instance)
        result = sensor(context)
        return result, context.cursor


def test_sensor_requests_runs_for_new_and_changed_files_only(automation, landing):
    _, sensor = automation

    result, cursor = _evaluate(sensor, None)
    assert isinstance(result, dg.SkipReason)

    (landing / "budget_2026-01-10.csv").write_text("År;Förbund\n", encoding="utf-8")
    (landing / ".hidden.csv").write_text("ignored", encoding="utf-8")
    (landing / "notes.pdf").write_text("ignored", encoding="utf-8")
    first, cursor = _evaluate(sensor, cursor)
    assert isinstance(first, dg.RunRequest)
    assert first.tags["finsam/files"] == "budget_2026-01-10.csv"
    assert set(json.loads(cursor)) == {"budget_2026-01-10.csv"}

    # unchanged: no run, even when only the mtime moves
    again, cursor = _evaluate(sensor, cursor)
    assert isinstance(again, dg.SkipReason)
    path = landing / "budget_2026-01-10.csv"
    os.utime(path, (path.stat().st_atime + 10, path.stat().st_mtime + 10))
    touched, cursor = _evaluate(sensor, cursor)
    assert isinstance(touched, dg.SkipReason)

    # changed content: a run with a different key
    path.write_text("År;Förbund;Belopp\n", encoding="utf-8")
    changed, cursor = _evaluate(sensor, cursor)
    assert isinstance(changed, dg.RunRequest)
    assert changed.run_key != first.run_key

    # a new file: a run
    (landing / "ledger_2026-02-01.csv").write_text("Period;Konto\n", encoding="utf-8")
    new, cursor = _evaluate(sensor, cursor)
    assert isinstance(new, dg.RunRequest)
    assert new.tags["finsam/files"] == "ledger_2026-02-01.csv"
    assert len({first.run_key, changed.run_key, new.run_key}) == 3


def test_sensor_sees_a_file_rewritten_with_the_same_size_and_its_mtime_set_back(automation, landing, monkeypatch):
    """The sensor hashes a file again when its file status moved, as ingest does: a rewrite of the
    same size whose mtime was set back still moves its ctime (pipelines/ingest/discovery.py)."""
    import pipelines.ingest.discovery as discovery

    monkeypatch.setattr(discovery, "SETTLED_AFTER_NS", 0)  # every file old enough to be remembered
    _, sensor = automation
    path = landing / "budget_2026-01-10.csv"
    path.write_text("År;Förbund\n2026;A\n", encoding="utf-8")
    first, cursor = _evaluate(sensor, None)
    assert isinstance(first, dg.RunRequest)
    before = path.stat()

    path.write_text("År;Förbund\n2026;B\n", encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    rewritten, _ = _evaluate(sensor, cursor)
    assert isinstance(rewritten, dg.RunRequest)
    assert rewritten.run_key != first.run_key


def test_sensor_counts_what_the_warehouse_loaded_as_seen(automation, landing, tmp_path):
    """A data dir refreshed by `finsam refresh`: the sensor's first tick (no cursor) starts no run
    for files the ledger lists as loaded, and ignores files no source kind would read."""
    import duckdb

    from pipelines.ingest.discovery import sha256_file
    from pipelines.ingest.load import LEDGER_TABLE, ensure_ledger

    _, sensor = automation
    loaded = landing / "budget_2026-01-10.csv"
    loaded.write_text("År;Förbund\n", encoding="utf-8")
    quarantined = landing / "ledger_2026-01-10.csv"  # put back by hand after a quarantine: run it again
    quarantined.write_text("Period;Konto\n", encoding="utf-8")
    (landing / "notes.csv").write_text("no source kind is called notes\n", encoding="utf-8")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        ensure_ledger(con)
        for path, kind, status in ((loaded, "budget", "loaded"), (quarantined, "ledger", "quarantined")):
            con.execute(
                f"insert into {LEDGER_TABLE} (sha256, kind, file_name, status, loaded_at) values (?, ?, ?, ?, now())",
                [sha256_file(path), kind, path.name, status],
            )

    first, cursor = _evaluate(sensor, None)
    assert isinstance(first, dg.RunRequest)
    assert first.tags["finsam/files"] == "ledger_2026-01-10.csv"
    assert set(json.loads(cursor)) == {"budget_2026-01-10.csv", "ledger_2026-01-10.csv"}

    quarantined.unlink()
    quiet, cursor = _evaluate(sensor, None)
    assert isinstance(quiet, dg.SkipReason)
    assert quiet.skip_message == "no new or changed files in the landing folder (files loaded or seen before: 1)"


def test_sensor_leaves_the_warehouse_alone_while_a_refresh_holds_the_lock(automation, landing, tmp_path, monkeypatch):
    import pipelines.automation as automation_module
    from pipelines.ops.lock import lock_path

    _, sensor = automation
    (landing / "budget_2026-01-10.csv").write_text("År;Förbund\n", encoding="utf-8")
    lock_path(tmp_path).write_text(
        json.dumps({"pid": 1, "host": "h", "since": "2026-12-07T04:30:00+01:00"}), encoding="utf-8"
    )

    def must_not_read(_warehouse):
        raise AssertionError("the sensor read the warehouse during a refresh")

    monkeypatch.setattr(automation_module, "loaded_hashes", must_not_read)
    result, _ = _evaluate(sensor, None)
    assert isinstance(result, dg.RunRequest)  # the cursor alone decides: the file is new to it
