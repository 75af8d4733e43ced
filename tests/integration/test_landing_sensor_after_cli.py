"""`make ui` on a data dir that `finsam refresh` already loaded: the landing sensor's first tick
(no cursor yet) starts no run and says so in one line; a new export still starts one."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from pipelines.automation import build_automation


@pytest.fixture()
def landing_sensor():
    _, sensor = build_automation(dg.define_asset_job("refresh", selection=dg.AssetSelection.all()))
    return sensor


def _tick(sensor, cursor=None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(cursor=cursor, instance=instance)
        return sensor(context), context.cursor


def test_first_tick_after_a_cli_refresh_skips(landing_sensor, demo_refresh, monkeypatch):
    assert demo_refresh.first.returncode == 0, demo_refresh.first.stdout[-2000:]
    exports = sorted(p.name for p in (demo_refresh.data / "landing").iterdir())
    monkeypatch.setenv("FINSAM_DATA_DIR", str(demo_refresh.data))
    monkeypatch.delenv("FINSAM_LANDING_DIR", raising=False)

    result, cursor = _tick(landing_sensor)
    assert isinstance(result, dg.SkipReason), result
    assert (
        result.skip_message
        == f"no new or changed files in the landing folder (files loaded or seen before: {len(exports)})"
    )
    assert "\n" not in result.skip_message
    assert sorted(json.loads(cursor)) == exports


def test_a_new_export_after_the_cli_refresh_starts_a_run(landing_sensor, published_copy, monkeypatch):
    data = published_copy()
    landing = data / "landing"
    budget = next(landing.glob("budget_*.csv"))
    new = landing / "budget_2026-12-01.csv"
    new.write_bytes(budget.read_bytes() + b"\n")  # bytes no refresh has loaded
    monkeypatch.setenv("FINSAM_DATA_DIR", str(data))
    monkeypatch.delenv("FINSAM_LANDING_DIR", raising=False)

    result, _ = _tick(landing_sensor)
    assert isinstance(result, dg.RunRequest), result
    assert result.tags["finsam/files"] == "budget_2026-12-01.csv"
