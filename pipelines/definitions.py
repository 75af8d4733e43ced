"""The one Definitions object: ingest → dbt → publish → report, the refresh job, schedule and sensor."""

from __future__ import annotations

import dagster as dg

from pipelines.asset_keys import MARTS
from pipelines.automation import build_automation
from pipelines.docs.assets import build_dbt_docs_asset
from pipelines.export.assets import uppfoljning_finsam_workbooks
from pipelines.ingest.assets import ingest_assets
from pipelines.ops import (
    RefreshLockResource,
    apply_ops_specs,
    refresh_failure_alert,
    refresh_lock_watchdog,
)
from pipelines.publish.assets import build_publish_asset, postgres_marts
from pipelines.quality.checks import build_quality_checks
from pipelines.report.assets import rapporter
from pipelines.transform.assets import dbt_resource, finsam_dbt_assets

mart_keys = sorted((k for k in finsam_dbt_assets.keys if k.path[0] == MARTS), key=lambda k: k.path)
publish_asset = build_publish_asset(mart_keys)
docs_asset = build_dbt_docs_asset()  # <data dir>/docs/dbt/index.html, after publish: the docs describe what BI reads
# GX suites on the marts + cross-file rules; the blocking ones gate publish (docs/data-quality.md)
quality_checks = build_quality_checks()

# In-process: one process, one DuckDB writer at a time, and no re-import per step (docs/architecture.md).
refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Landing exports → raw → staging → marts → bi.duckdb and Parquet → reports.",
)

nightly_schedule, landing_sensor = build_automation(refresh_job)

defs = dg.Definitions(
    # apply_ops_specs adds owners, the marts' freshness policy and raw column schemas, so the UI shows them.
    assets=apply_ops_specs(
        [
            *ingest_assets,
            finsam_dbt_assets,
            publish_asset,
            postgres_marts,
            rapporter,
            uppfoljning_finsam_workbooks,
            docs_asset,
        ]
    ),
    asset_checks=quality_checks,
    jobs=[refresh_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor, refresh_failure_alert, refresh_lock_watchdog],
    resources={"dbt": dbt_resource(), "refresh_lock": RefreshLockResource()},
)
