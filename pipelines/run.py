"""Run the refresh job in process against the persistent Dagster instance, and summarise it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import typer

from pipelines.quality.summary import QualitySummary, summarize
from pipelines.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RefreshOutcome:
    settings: Settings
    success: bool
    published: bool
    run_id: str
    failures: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    raw_rows: dict[str, int] = field(default_factory=dict)
    mart_rows: dict[str, int] = field(default_factory=dict)
    reports: list[Path] = field(default_factory=list)
    workbooks: list[Path] = field(default_factory=list)  # Uppföljning Finsam, per förbund and year
    quality: QualitySummary | None = None  # checks ran/passed/warned/failed, data docs
    # Inputs as at the last publish (pipelines/transform/inputs.py): when it was, if nothing was rebuilt.
    unchanged_since: str | None = None
    # host:port/db whose schema marts this run replaced (FINSAM_POSTGRES_URL), if it did
    postgres_target: str | None = None

    @property
    def exit_code(self) -> int:
        if not (self.success and (self.published or self.unchanged_since)):
            return 1
        return 2 if self.quarantined else 0

    def print_summary(self) -> None:
        s = self.settings
        echo = typer.echo
        echo("")
        run = f"run {self.run_id}" if self.run_id else "no Dagster run needed"
        echo(f"finsam refresh  {run}  as_of {s.as_of.isoformat()}")
        if self.raw_rows:
            echo("Raw tables (rows):")
            for name, rows in self.raw_rows.items():
                echo(f"  raw.{name:<32} {rows:>12,}")
        if self.mart_rows:
            echo("Marts in bi.duckdb (rows):")
            for name, rows in self.mart_rows.items():
                echo(f"  marts.{name:<30} {rows:>12,}")
        if self.quarantined:
            echo(f"Quarantined files ({len(self.quarantined)}), kept in {s.quarantine_dir}:")
            for name, reason in self.quarantined:
                echo(f"  {name}: {reason}")
        if self.unchanged_since:
            echo(
                f"Nothing changed since the publish of {self.unchanged_since}: dbt, checks, publish and "
                "reports skipped; bi.duckdb is as it was (`finsam refresh --force` rebuilds)."
            )
        elif self.quality is not None:  # which check failed, on which asset, sample rows
            for line in self.quality.lines():
                echo(line)
        if self.failures:
            if self.published:  # a step after publish failed (e.g. docs, reports): BI already has the new marts
                echo("FAILED after publishing — bi.duckdb is new; these steps failed:")
            else:
                echo("FAILED — nothing was published; yesterday's bi.duckdb is untouched:")
            for f in self.failures:
                echo(f"  {f}")
        if self.reports:
            echo(f"Reports rendered ({len(self.reports)}):")
            for p in self.reports:
                echo(f"  {p}")
        if self.workbooks:
            echo(f"Uppföljning Finsam workbooks ({len(self.workbooks)}):")
            for p in self.workbooks:
                echo(f"  {p}")
        echo("Files:")
        echo(f"  warehouse  {s.warehouse_path}")
        echo(f"  BI         {s.bi_path}  (open read-only)  ·  Parquet {s.bi_parquet_dir}/")
        if self.postgres_target:
            echo(f"  PostgreSQL {self.postgres_target}  schema marts, one role per förbund (docs/postgresql.md)")
        echo(f"  quarantine {s.quarantine_dir}")
        if (s.docs_dir / "dbt" / "index.html").exists():  # only after a publish has written it
            echo(f"  dbt docs   {s.docs_dir / 'dbt' / 'index.html'}")
        if self.exit_code == 1:  # a failed run wrote its alert there
            echo(f"  alerts     {s.data_dir / 'alerts.log'}")
        if self.run_id:
            echo("UI: `make ui`, then http://127.0.0.1:3000 (this run is in the run history)")
        status = {0: "OK", 1: "FAILED", 2: "PUBLISHED WITH QUARANTINED FILES"}[self.exit_code]
        echo(f"Result: {status} (exit code {self.exit_code})")


def _table_rows(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and not starts_with(table_name, '_') order by 1",
            [schema],
        ).fetchall()
    ]
    return {n: con.execute(f'select count(*) from {schema}."{n}"').fetchone()[0] for n in names}


def quarantined_since(warehouse: Path, since: dt.datetime) -> list[tuple[str, str]]:
    if not warehouse.exists():
        return []
    from pipelines.ingest.load import has_ledger

    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_ledger(con):
            return []
        return con.execute(
            "select file_name, reason from raw._file_ledger where status = 'quarantined' and loaded_at >= ? order by file_name",
            [since],
        ).fetchall()


def run_refresh(s: Settings) -> RefreshOutcome:
    """The refresh under `<data dir>/refresh.lock`, with an alert when it fails (pipelines/ops).

    Raises pipelines.ops.RefreshBusy when another refresh holds the lock past FINSAM_LOCK_TIMEOUT.
    """
    from pipelines.ops.alerts import alert_cli_failure
    from pipelines.ops.lock import cli_refresh_lock
    from pipelines.transform.inputs import nothing_to_refresh

    with cli_refresh_lock(s.data_dir):
        unchanged = nothing_to_refresh(s)
        if unchanged is not None:  # no new file, same inputs as the last publish: no run at all
            outcome = RefreshOutcome(
                settings=s, success=True, published=False, run_id="", unchanged_since=unchanged["published_at"]
            )
            outcome.mart_rows = _bi_rows(s)
            return outcome
        try:
            outcome = run_refresh_job(s)
        except Exception as exc:
            alert_cli_failure(s.data_dir, "", [f"finsam refresh crashed: {type(exc).__name__}: {exc}"], published=False)
            raise
        if outcome.exit_code == 1:
            alert_cli_failure(s.data_dir, outcome.run_id, outcome.failures, outcome.published)
        return outcome


def run_refresh_job(s: Settings) -> RefreshOutcome:
    """The refresh job, in process, without the lock or the alert `run_refresh` wraps it in."""
    import dagster as dg

    from pipelines.asset_keys import POSTGRES_KEY, PUBLISH_KEY
    from pipelines.definitions import defs
    from pipelines.export.assets import uppfoljning_finsam_workbooks
    from pipelines.ops.alerts import step_failure_text
    from pipelines.publish_record import last_published
    from pipelines.report.assets import rapporter

    started = dt.datetime.now()
    instance = dg.DagsterInstance.get()
    job = defs.resolve_job_def("refresh")
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={"finsam/trigger": "cli", "finsam/as_of": s.as_of.isoformat()},
    )
    published = any(e.is_step_materialization and e.asset_key == PUBLISH_KEY for e in result.all_events)
    # step_failure_text unwraps retries ("Exceeded max_retries") down to the real error, the one to act on
    failures = [step_failure_text(e) for e in result.all_events if e.is_step_failure]
    outcome = RefreshOutcome(
        settings=s, success=result.success, published=published, run_id=result.run_id, failures=failures
    )
    if result.success and not published and (record := last_published(s)):  # the dbt step found nothing new
        outcome.unchanged_since = record["published_at"]
    for e in result.all_events:
        if e.is_step_materialization and e.asset_key == POSTGRES_KEY:
            outcome.postgres_target = e.event_specific_data.materialization.metadata["target"].value
        if e.is_step_materialization and e.asset_key in rapporter.keys:
            listed = e.event_specific_data.materialization.metadata["reports"].value
            outcome.reports = [s.reports_dir / p for p in listed]
        if e.is_step_materialization and e.asset_key in uppfoljning_finsam_workbooks.keys:
            listed = e.event_specific_data.materialization.metadata["workbooks"].value
            outcome.workbooks = [s.exports_dir / "uppfoljning_finsam" / p for p in listed]
    outcome.quarantined = quarantined_since(s.warehouse_path, started)
    outcome.quality = summarize(result.all_events, s, result.run_id, started)  # quality
    if s.warehouse_path.exists():
        with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
            outcome.raw_rows = _table_rows(con, "raw")
    if published or outcome.unchanged_since:
        outcome.mart_rows = _bi_rows(s)
    return outcome


def _bi_rows(s: Settings) -> dict[str, int]:
    if not s.bi_path.exists():
        return {}
    with duckdb.connect(str(s.bi_path), read_only=True) as con:
        return _table_rows(con, "marts")
