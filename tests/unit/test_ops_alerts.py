"""Failure alerts: alerts.log always, the webhook when set, never an exception."""

import http.server
import json
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from pipelines.ops.alerts import Alert, alert_cli_failure, refresh_failure_alert, run_failure_texts, send_alert
from pipelines.ops.retry import warehouse_retry_policy

SECRET_PATH = "/hooks/T000/B000/s3cr3t-token"


class Receiver:
    """A webhook on 127.0.0.1 in a thread: records each POST, answers `status` after `delay`."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.received: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's name for the POST handler
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {"path": self.path, "content_type": self.headers["Content-Type"], "json": json.loads(body)}
                )
                time.sleep(delay)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # close() does not wait for a slow handler
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


def _lines(data_dir: Path) -> list[list[str]]:
    return [line.split("\t") for line in (data_dir / "alerts.log").read_text(encoding="utf-8").splitlines()]


def test_an_alert_is_one_line_in_alerts_log_without_a_webhook(tmp_path, monkeypatch):
    monkeypatch.delenv("FINSAM_ALERT_WEBHOOK_URL", raising=False)
    alert = Alert(
        job="refresh", run_id="r1", trigger="schedule", message="run failed", failures=("step a failed: x\ny",)
    )
    assert send_alert(alert, tmp_path)
    assert send_alert(alert, tmp_path)  # appends
    lines = _lines(tmp_path)
    assert len(lines) == 2
    time_, status, job, run, trigger, detail = lines[0]
    assert status == "FAILURE" and job == "job=refresh" and run == "run=r1" and trigger == "trigger=schedule"
    assert detail == "run failed; step a failed: x y"  # one line, whatever the error looked like
    assert time_[:2] == "20" and "T" in time_


def test_the_webhook_receives_json(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("FINSAM_ALERT_WEBHOOK_URL", receiver.url)
    alert = Alert(
        job="refresh",
        run_id="0123456789",
        trigger="landing",
        message="run failed",
        failures=("step raw__budget failed: boom",),
    )
    assert send_alert(alert, tmp_path)
    [post] = receiver.received
    assert post["path"] == SECRET_PATH and post["content_type"].startswith("application/json")
    body = post["json"]
    assert body["status"] == "FAILURE" and body["job"] == "refresh" and body["run_id"] == "0123456789"
    assert body["trigger"] == "landing" and body["failures"] == ["step raw__budget failed: boom"]
    assert body["data_dir"] == str(tmp_path)
    assert "refresh failure" in body["text"] and "step raw__budget failed: boom" in body["text"]
    assert len(_lines(tmp_path)) == 1


@pytest.mark.parametrize("status, delay", [(500, 0.0), (200, 3.0)])
def test_a_failing_or_slow_webhook_is_logged_never_raised(tmp_path, status, delay, caplog):
    slow = Receiver(status=status, delay=delay)
    try:
        started = time.monotonic()
        delivered = send_alert(
            Alert(job="refresh", run_id="r", trigger="ui", message="m"), tmp_path, webhook_url=slow.url, timeout=0.5
        )
        assert time.monotonic() - started < 2.5
    finally:
        slow.close()
    assert delivered is False
    lines = _lines(tmp_path)
    assert lines[0][1] == "FAILURE" and lines[1][1] == "WEBHOOK_FAILED"
    assert "s3cr3t" not in (tmp_path / "alerts.log").read_text() and "s3cr3t" not in caplog.text  # URL redacted
    assert "alert webhook http://127.0.0.1:" in caplog.text


def test_an_unreachable_webhook_is_logged_never_raised(tmp_path):
    closed = Receiver()
    url = closed.url
    closed.close()  # nobody listens on that port any more
    assert (
        send_alert(Alert(job="refresh", run_id="r", trigger="ui", message="m"), tmp_path, webhook_url=url, timeout=1)
        is False
    )
    assert _lines(tmp_path)[1][1] == "WEBHOOK_FAILED"


def test_an_unwritable_data_dir_is_logged_never_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert send_alert(Alert(job="refresh", run_id="r", trigger="ui", message="m"), blocker, webhook_url="") is False


# --- the run-failure sensor, on real failed runs ------------------------------------------


@dg.asset
def broken() -> None:
    raise ValueError("the ledger has no rows for 2026")


@dg.asset(retry_policy=warehouse_retry_policy(delay=0.01, max_retries=1))
def locked() -> None:
    raise OSError(
        'IO Error: Could not set lock on file "/data/warehouse.duckdb": Conflicting lock is held in dbeaver (PID 42)'
    )


def _failed_run(instance: dg.DagsterInstance, asset: dg.AssetsDefinition, tags: dict[str, str]):
    job = dg.define_asset_job("refresh", selection=[asset.key])
    defs = dg.Definitions(assets=[asset], jobs=[job])
    result = defs.resolve_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False, tags=tags)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    [record] = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)
    failure = record.dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name="refresh_failure_alert", dagster_instance=instance, dagster_run=run, dagster_event=failure
    ).for_run_failure()
    return result, context


def test_the_failure_sensor_alerts_with_the_real_error(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FINSAM_ALERT_WEBHOOK_URL", receiver.url)
    with dg.instance_for_test() as instance:
        result, context = _failed_run(instance, broken, {"dagster/schedule_name": "nightly_refresh"})
        refresh_failure_alert(context)
    [line] = _lines(tmp_path)
    assert line[1:5] == ["FAILURE", "job=refresh", f"run={result.run_id}", "trigger=schedule"]
    assert "step broken failed: ValueError: the ledger has no rows for 2026" in line[5]
    assert receiver.received[0]["json"]["failures"] == [
        "step broken failed: ValueError: the ledger has no rows for 2026"
    ]


def test_retried_steps_report_the_error_not_exceeded_max_retries(tmp_path, monkeypatch):
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FINSAM_ALERT_WEBHOOK_URL", raising=False)
    with dg.instance_for_test() as instance:
        result, context = _failed_run(instance, locked, {"finsam/trigger": "landing"})
        assert any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
        texts = run_failure_texts(instance, result.run_id, context.get_step_failure_events())
    assert texts == [
        (
            'step locked failed: OSError: IO Error: Could not set lock on file "/data/warehouse.duckdb": '
            "Conflicting lock is held in dbeaver (PID 42)"
        )
    ]


def test_the_sensor_leaves_cli_runs_to_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("FINSAM_DATA_DIR", str(tmp_path))
    with dg.instance_for_test() as instance:
        _, context = _failed_run(instance, broken, {"finsam/trigger": "cli"})
        refresh_failure_alert(context)
    assert not (tmp_path / "alerts.log").exists()


def test_the_sensor_is_registered_and_running_by_default():
    from pipelines.definitions import defs

    sensor = defs.resolve_sensor_def("refresh_failure_alert")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor is refresh_failure_alert


# --- `finsam refresh` sends the same alert itself -----------------------------------------


def _settings(tmp_path: Path, monkeypatch):
    from pipelines.cli import apply_flags, prepare_dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    s = apply_flags(landing=tmp_path / "landing", data_dir=tmp_path, as_of="2026-10-31")
    prepare_dagster_home(s)
    return s


def test_a_failed_cli_refresh_alerts_through_the_same_function(tmp_path, receiver, monkeypatch):
    import pipelines.run as run_module

    monkeypatch.setenv("FINSAM_ALERT_WEBHOOK_URL", receiver.url)
    s = _settings(tmp_path, monkeypatch)
    failed = run_module.RefreshOutcome(
        settings=s, success=False, published=False, run_id="cli-run-1", failures=["step x failed: boom"]
    )
    monkeypatch.setattr(run_module, "run_refresh_job", lambda settings: failed)
    assert run_module.run_refresh(s) is failed
    [line] = _lines(tmp_path)
    assert line[1:5] == ["FAILURE", "job=refresh", "run=cli-run-1", "trigger=cli"]
    assert line[5] == "refresh failed; nothing was published; step x failed: boom"
    assert receiver.received[0]["json"]["trigger"] == "cli"


def test_a_crashed_cli_refresh_alerts_and_releases_the_lock(tmp_path, monkeypatch):
    import pipelines.run as run_module

    monkeypatch.delenv("FINSAM_ALERT_WEBHOOK_URL", raising=False)
    s = _settings(tmp_path, monkeypatch)

    def crash(settings):
        raise RuntimeError("instance storage is gone")

    monkeypatch.setattr(run_module, "run_refresh_job", crash)
    with pytest.raises(RuntimeError):
        run_module.run_refresh(s)
    [line] = _lines(tmp_path)
    assert line[1] == "FAILURE"
    assert "finsam refresh crashed: RuntimeError: instance storage is gone" in line[5]
    assert (tmp_path / "refresh.lock").read_text() == ""  # released on the way out


def test_a_successful_cli_refresh_sends_nothing(tmp_path, monkeypatch):
    import pipelines.run as run_module

    s = _settings(tmp_path, monkeypatch)
    ok = run_module.RefreshOutcome(settings=s, success=True, published=True, run_id="ok")
    monkeypatch.setattr(run_module, "run_refresh_job", lambda settings: ok)
    assert run_module.run_refresh(s).exit_code == 0
    assert not (tmp_path / "alerts.log").exists()


def test_alert_cli_failure_after_publish_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("FINSAM_ALERT_WEBHOOK_URL", raising=False)
    assert alert_cli_failure(tmp_path, "r", ["step docs__dbt_docs failed: x"], published=True)
    assert _lines(tmp_path)[0][5] == "refresh failed after publishing (bi.duckdb is new); step docs__dbt_docs failed: x"
