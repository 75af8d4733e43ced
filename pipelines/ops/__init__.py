"""Unattended operation: what keeps the nightly refresh safe and visible without anyone watching.

- lock.py     `<data dir>/refresh.lock`: one refresh at a time, CLI and daemon alike; a refresh
              killed while holding it is found (by the next one, or within a minute by the
              `refresh_lock_watchdog` sensor) and its run marked failed.
- retry.py    step retries with exponential backoff, for DuckDB lock conflicts only.
- alerts.py   failed runs → `<data dir>/alerts.log` and `FINSAM_ALERT_WEBHOOK_URL`.
- specs.py    owners and the 26-hour freshness policy on the marts.
- pg_cluster.py  a throwaway local PostgreSQL server, for the tests and the benchmark.
- event_log.py  Dagster's SQLite event log with its connections kept open (dagster.yaml).

What belongs to one step lives with it: dbt's row counts and target pruning in
pipelines/transform/dbt_build.py, the dbt docs in pipelines/docs/assets.py.

README "Running in production" is the operator's view of the same.
"""

from pipelines.ops.alerts import Alert, refresh_failure_alert, send_alert
from pipelines.ops.lock import RefreshBusy, RefreshLock, RefreshLockResource, lock_path, refresh_lock_watchdog
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.ops.specs import MART_FRESHNESS, apply_ops_specs

__all__ = [
    "MART_FRESHNESS",
    "WAREHOUSE_RETRY_POLICY",
    "Alert",
    "RefreshBusy",
    "RefreshLock",
    "RefreshLockResource",
    "apply_ops_specs",
    "lock_path",
    "refresh_failure_alert",
    "refresh_lock_watchdog",
    "retry_only_transient",
    "send_alert",
]
