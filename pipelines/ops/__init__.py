"""Unattended operation: what keeps the nightly refresh safe and visible without anyone watching.

- lock.py     `<data dir>/refresh.lock`: one refresh at a time, CLI and daemon alike; a refresh
              killed while holding it is found (by the next one, or within a minute by the
              `refresh_lock_watchdog` sensor) and its run marked failed.
- retry.py    step retries with exponential backoff, for DuckDB lock conflicts only.
- alerts.py   failed runs → `<data dir>/alerts.log` and `FINSAM_ALERT_WEBHOOK_URL`.
- specs.py    owners, the 26-hour freshness policy on the marts, column schemas on raw assets.
- dbt.py      row counts on dbt assets, the dbt docs site, pruning dagster-dbt's target dirs.

README "Running in production" is the operator's view of the same.
"""

from pipelines.ops.alerts import Alert, refresh_failure_alert, send_alert
from pipelines.ops.dbt import DOCS_KEY, build_dbt_docs_asset, prune_run_targets, with_row_counts
from pipelines.ops.lock import RefreshBusy, RefreshLock, RefreshLockResource, lock_path, refresh_lock_watchdog
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.ops.specs import MART_FRESHNESS, apply_ops_specs

__all__ = [
    "DOCS_KEY",
    "MART_FRESHNESS",
    "WAREHOUSE_RETRY_POLICY",
    "Alert",
    "RefreshBusy",
    "RefreshLock",
    "RefreshLockResource",
    "apply_ops_specs",
    "build_dbt_docs_asset",
    "lock_path",
    "prune_run_targets",
    "refresh_failure_alert",
    "refresh_lock_watchdog",
    "retry_only_transient",
    "send_alert",
    "with_row_counts",
]
