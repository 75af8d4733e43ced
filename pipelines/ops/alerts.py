"""Failure alerts: a line in `<data dir>/alerts.log`, always; a JSON POST to a webhook when set.

Where they fire (each failure is reported once):
- Runs launched by the daemon (schedule, landing sensor, UI, run retries): the run-failure
  sensor `refresh_failure_alert` below.
- `finsam refresh`: it runs in process, so pipelines/run.py calls `send_alert` itself when the
  run fails; the sensor skips runs tagged `finsam/trigger=cli`, so the same failure is not
  reported a second time when a daemon happens to be running.
- A refresh that was killed while holding the refresh lock: the next refresh reports it
  (pipelines/ops/lock.py), because no process was left to do so.

The lock imports this module, never the other way round: `run_trigger` (what started a run)
lives here because the alert reports it and the lock only records it.

`FINSAM_ALERT_WEBHOOK_URL` receives `{"text": ..., "status", "job", "run_id", "trigger",
"host", "data_dir", "time", "failures": [...]}`; `text` makes it readable as-is by Slack and
Teams-style incoming webhooks. A webhook that fails or times out is logged (and noted in
alerts.log), never raised: an alert must not turn into a second failure.
"""

import datetime as dt
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.settings import get_settings

log = logging.getLogger(__name__)

ALERTS_LOG_NAME = "alerts.log"
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_TEXT = 600

# Dagster wraps the real error in these when a step was retried or failed inside the framework.
_WRAPPERS = {"RetryRequestedFromPolicy", "DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def one_line(text: str, limit: int = MAX_TEXT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Alert:
    job: str
    run_id: str
    trigger: str
    message: str
    failures: tuple[str, ...] = ()
    status: str = "FAILURE"
    time: str = field(default_factory=_now)

    def line(self) -> str:
        detail = "; ".join([self.message, *self.failures]) if self.failures else self.message
        return "\t".join(
            [
                self.time,
                self.status,
                f"job={self.job}",
                f"run={self.run_id or '-'}",
                f"trigger={self.trigger}",
                one_line(detail, 2000),
            ]
        )

    def payload(self, data_dir: Path) -> dict:
        host = socket.gethostname()
        run = f", run {self.run_id[:8]}" if self.run_id else ""
        first = self.failures[0] if self.failures else self.message
        return {
            "text": one_line(
                f"finsam-warehouse on {host}: {self.job} {self.status.lower()} ({self.trigger}{run}): {first}"
            ),
            "status": self.status,
            "job": self.job,
            "run_id": self.run_id,
            "trigger": self.trigger,
            "host": host,
            "data_dir": str(data_dir),
            "time": self.time,
            "message": self.message,
            "failures": list(self.failures),
        }


def run_trigger(tags: Mapping[str, str]) -> str:
    """What started a run: cli, landing (sensor), schedule, or ui (anything else)."""
    if tags.get("finsam/trigger"):
        return tags["finsam/trigger"]
    if tags.get("dagster/schedule_name"):
        return "schedule"
    if tags.get("dagster/sensor_name"):
        return "sensor"
    if tags.get("dagster/parent_run_id"):
        return "retry"
    return "ui"


def _redact(url: str) -> str:
    """Webhook URLs carry their secret in the path: log only scheme and host."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def post_json(url: str, payload: dict, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "finsam-warehouse"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # the operator's own URL, not user input
        return response.status


def send_alert(
    alert: Alert, data_dir: Path, webhook_url: str | None = None, timeout: float = WEBHOOK_TIMEOUT_SECONDS
) -> bool:
    """Append the alert to alerts.log and POST it to the webhook (if any). Never raises.

    Returns True when everything that was asked for was delivered.
    """
    delivered = _append(data_dir, alert.line())
    url = webhook_url if webhook_url is not None else (get_settings().alert_webhook_url or "")
    if url:
        try:
            post_json(url, alert.payload(data_dir), timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - a failed alert is logged, never raised
            reason = f"HTTP {exc.code}" if isinstance(exc, urllib.error.HTTPError) else f"{type(exc).__name__}: {exc}"
            log.warning("alert webhook %s failed: %s", _redact(url), reason)
            _append(data_dir, "\t".join([_now(), "WEBHOOK_FAILED", _redact(url), one_line(reason)]))
            delivered = False
    return delivered


def _append(data_dir: Path, line: str) -> bool:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(data_dir / ALERTS_LOG_NAME, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        return True
    except OSError as exc:
        log.error("could not write the alert to %s: %s", data_dir / ALERTS_LOG_NAME, exc)
        return False


def error_text(error, user_failure_data=None) -> str:
    """The useful part of a step's error: the user's Failure description, else the innermost
    error under Dagster's retry / execution wrappers."""
    if user_failure_data is not None and getattr(user_failure_data, "description", None):
        return one_line(user_failure_data.description)
    while error is not None and error.cls_name in _WRAPPERS and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    message = error.message.strip()
    # "pkg.module.SomeError: text" -> "SomeError: text"
    head, sep, rest = message.partition(": ")
    if sep and "." in head and " " not in head:
        message = f"{head.rsplit('.', 1)[-1]}: {rest}"
    return one_line(message)


def step_failure_text(event: dg.DagsterEvent) -> str:
    data = event.event_specific_data
    return f"step {event.step_key} failed: {error_text(getattr(data, 'error', None), getattr(data, 'user_failure_data', None))}"


def run_failure_texts(instance: dg.DagsterInstance, run_id: str, step_failures: Iterable[dg.DagsterEvent]) -> list[str]:
    """Step failures, else the errors of a run that failed before any step (e.g. the lock wait)."""
    texts = [step_failure_text(e) for e in step_failures]
    if texts:
        return texts
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            texts.append(f"{event.event_type_value.lower()}: {error_text(error)}")
    return texts


@dg.run_failure_sensor(
    name="refresh_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "On a failed run started by the schedule, the landing sensor or the UI: a line in "
        "<data dir>/alerts.log and a POST to FINSAM_ALERT_WEBHOOK_URL when set. "
        "`finsam refresh` alerts by itself."
    ),
)
def refresh_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    trigger = run_trigger(run.tags)
    if trigger == "cli":
        context.log.info(f"run {run.run_id} was started by `finsam refresh`, which sends its own alert")
        return
    failures = run_failure_texts(context.instance, run.run_id, context.get_step_failure_events())
    alert = Alert(
        job=run.job_name,
        run_id=run.run_id,
        trigger=trigger,
        message=one_line(context.failure_event.message or "run failed"),
        failures=tuple(failures),
    )
    send_alert(alert, get_settings().data_dir)
    context.log.info(f"alert written for run {run.run_id}: {alert.line()}")


def alert_cli_failure(data_dir: Path, run_id: str, failures: Iterable[str], published: bool) -> bool:
    """`finsam refresh` failed: the same alert the sensor sends for daemon runs."""
    message = (
        "refresh failed after publishing (bi.duckdb is new)" if published else "refresh failed; nothing was published"
    )
    alert = Alert(job="refresh", run_id=run_id, trigger="cli", message=message, failures=tuple(failures))
    return send_alert(alert, data_dir)
