"""dbt models, seeds and tests as Dagster assets and asset checks."""

import importlib.metadata
import logging
import os
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets
from packaging import version

from pipelines.dbt_project import FinsamTranslator, dbt_env, dbt_project, ensure_manifest
from pipelines.docs.assets import keep_build_for_docs
from pipelines.fingerprint import dbt_project_fingerprint, inputs_fingerprint
from pipelines.nightly_scope import (
    decide_scope,
    drop_scope,
    loaded_files,
    record_build,
    upgrade_state,
    write_as_of,
    write_scope,
)
from pipelines.ops.lock import RefreshLockResource
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.settings import get_settings
from pipelines.transform.dbt_build import keep_partial_parse, probe_warehouse, prune_run_targets, with_row_counts
from pipelines.transform.inputs import unchanged_since_publish

ensure_manifest()

NO_RESULT_LOGGER = "dagster._core.execution.plan.active"  # where Dagster warns of a check without result


# dbt threads of a full build (a night uses profiles.yml's 2). A full build at national scale
# is a few big queries, each of which DuckDB already spreads over every core; two at once
# fight over the cores and share one memory limit. One thread: the 1x full build 149.5 / 148.3 s
# -> 142.6 / 139.5 s, ~30 s less CPU, the same rows (README "Performance"). A night is hundreds
# of small queries whose fixed cost (~30 ms of dbt each) two threads overlap: it stays at 2.
FULL_BUILD_THREADS = 1


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=FinsamTranslator(),
    project=dbt_project,
    pool="warehouse_writer",
    retry_policy=WAREHOUSE_RETRY_POLICY,  # lock conflicts only; other errors would recur (pipelines/ops/retry.py)
)
def finsam_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    refresh_lock: RefreshLockResource,  # <data dir>/refresh.lock: one refresh, one writer
):
    settings = get_settings()
    # Nothing changed since the last publish: yield nothing, so checks, publish, docs and
    # reports are skipped and BI keeps what it has (pipelines/transform/inputs.py).
    unchanged = unchanged_since_publish(settings, inputs_fingerprint(settings))
    if unchanged is not None:
        context.log.info(
            f"inputs unchanged since the publish of {unchanged['published_at']}: dbt build, checks, "
            "publish and reports skipped (finsam refresh --force rebuilds)"
        )
        mute_checks_without_result()
        return
    # dbt runs as a subprocess that inherits os.environ; profiles.yml reads the warehouse path.
    os.environ.update(dbt_env(settings))
    prune_run_targets()  # dagster-dbt leaves a target dir per run under dbt_project/target/, which would fill the disk
    project_fingerprint = dbt_project_fingerprint()
    with retry_only_transient():
        probe_warehouse(settings.warehouse_path)  # a lock conflict fails here, where it can be retried, not inside dbt
        # What to rebuild: everything, or only what a night can have changed (pipelines/nightly_scope.py)
        with duckdb.connect(str(settings.warehouse_path)) as con:
            upgrade_state(con)
            scope = decide_scope(con, settings.as_of, project_fingerprint, force=settings.force_rebuild)
            write_scope(con, scope)
            write_as_of(con, settings.as_of)
            files = loaded_files(con)
        context.log.info(scope.describe())
        # Unit tests check the SQL on fixed fixtures, not the data: they run in `make test`
        # (tests/integration/test_dbt_unit_tests.py), not every night (as dbt recommends).
        args = ["build", "--exclude-resource-type", "unit_test"]
        if scope.full:
            args += ["--full-refresh", "--threads", str(FULL_BUILD_THREADS)]
        elif not context.is_subset:
            # A night leaves the seeds and their own tests out: a seed changes only with the dbt
            # project, which makes the build full (decide_scope), so they are the ones the last
            # full build loaded and checked. `cautious`: a test leaves only when all its parents
            # do, so the tests of models against a seed (accepted codes, relationships) still run.
            args += ["--exclude", "resource_type:seed", "--indirect-selection", "cautious"]
        invocation = dbt.cli(args, context=context)
        try:
            # dbt's events as they come, then a row-count observation per table (pipelines/transform/dbt_build.py)
            yield from with_row_counts(invocation, settings.warehouse_path, context.asset_key_for_output)
        except BaseException:
            with duckdb.connect(str(settings.warehouse_path)) as con:
                drop_scope(con)
            raise
    with duckdb.connect(str(settings.warehouse_path)) as con:
        record_build(con, settings.as_of, project_fingerprint, files, scope, whole=not context.is_subset)
    keep_partial_parse(invocation.target_path)
    if scope.full and not context.is_subset:
        keep_build_for_docs(invocation.target_path, settings, project_fingerprint)


class _NoResultOfSkippedBuild(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and "emitted no result" in record.getMessage())


def mute_checks_without_result() -> None:
    """The skipped build's one line above says it all; without this Dagster adds a warning per
    blocking check and downstream step ("Blocking asset check … emitted no result …"), ~400 of
    them. Each run has a process of its own (the CLI's, or the one the daemon or the UI launches),
    so this mutes that warning for this run only."""
    logger = logging.getLogger(NO_RESULT_LOGGER)
    if not any(isinstance(f, _NoResultOfSkippedBuild) for f in logger.filters):
        logger.addFilter(_NoResultOfSkippedBuild())


class FinsamDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two costs paid before every dbt build (about 3 s of CPU
    per refresh): it runs `dbt --version` in a subprocess to learn the version of the dbt it will
    run, which is the dbt-core of this venv; and it opens a dbt adapter in this process, which it
    needs only for `fetch_row_counts` / `fetch_column_metadata` (not used: with_row_counts counts
    the rows itself, the column schemas come from the manifest)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    # The venv's dbt, even when the venv is not activated (make run, CI, the Dagster daemon).
    dbt_executable = Path(sys.executable).with_name("dbt")
    return FinsamDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir), dbt_executable=str(dbt_executable)
    )
