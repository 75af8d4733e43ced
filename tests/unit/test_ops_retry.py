"""Step retries: exponential backoff on DuckDB lock conflicts, and on nothing else."""

import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from pipelines.asset_keys import DBT_LAYERS, DOCS_KEY, PUBLISH_KEY, RAW
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, is_transient, retry_only_transient, warehouse_retry_policy


def test_the_policy_backs_off_exponentially():
    policy = WAREHOUSE_RETRY_POLICY
    assert (
        policy.max_retries == 4 and policy.backoff == dg.Backoff.EXPONENTIAL and policy.jitter == dg.Jitter.PLUS_MINUS
    )
    bare = dg.RetryPolicy(max_retries=4, delay=policy.delay, backoff=policy.backoff)  # without the jitter
    assert [bare.calculate_delay(n) for n in (1, 2, 3, 4)] == [15, 45, 105, 225]


def test_a_real_duckdb_lock_conflict_is_transient(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()
    # another process holds the file (a reader is enough to block a writer)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}, read_only=True); print('open', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.IOException) as conflict:
            duckdb.connect(str(db))
        assert is_transient(conflict.value)
        try:
            raise RuntimeError("publish failed") from conflict.value
        except RuntimeError as wrapped:
            assert is_transient(wrapped)  # found in the cause chain
    finally:
        holder.kill()
        holder.wait()
    assert not is_transient(ValueError("Conversion Error: could not convert string 'x' to INT32"))
    assert not is_transient(duckdb.CatalogException("Table with name genomflode does not exist!"))


def test_retry_only_transient_marks_everything_else_final():
    with pytest.raises(duckdb.IOException), retry_only_transient():
        raise duckdb.IOException('Could not set lock on file "w.duckdb": Conflicting lock is held')
    with pytest.raises(dg.Failure) as other, retry_only_transient():
        raise KeyError("kommun")
    assert other.value.allow_retries is False and other.value.description == "KeyError: 'kommun'"
    assert isinstance(other.value.__cause__, KeyError)
    with pytest.raises(dg.Failure) as dbt_failure, retry_only_transient():
        raise dg.Failure(description="dbt build failed: 1 test failed")
    assert dbt_failure.value.allow_retries is False


ATTEMPTS: list[int] = []


@dg.asset(retry_policy=warehouse_retry_policy(delay=0.01))
def flaky(context: dg.AssetExecutionContext) -> None:
    ATTEMPTS.append(context.retry_number)
    with retry_only_transient():
        if len(ATTEMPTS) < 3:
            raise duckdb.IOException(
                'IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held in duckdb (PID 7)'
            )


@dg.asset(retry_policy=warehouse_retry_policy(delay=0.01))
def buggy(context: dg.AssetExecutionContext) -> None:
    ATTEMPTS.append(context.retry_number)
    with retry_only_transient():
        raise ZeroDivisionError("division by zero")


def _retries(result) -> int:
    return sum(1 for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY")


def test_a_lock_conflict_is_retried_until_it_clears():
    ATTEMPTS.clear()
    result = dg.materialize([flaky])
    assert result.success and ATTEMPTS == [0, 1, 2] and _retries(result) == 2


def test_any_other_error_fails_at_once():
    ATTEMPTS.clear()
    result = dg.materialize([buggy], raise_on_error=False)
    assert not result.success and ATTEMPTS == [0] and _retries(result) == 0


def test_every_writing_step_has_the_policy_and_the_lock():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    writers = [
        k for k in graph.get_all_asset_keys() if k.path[0] in {RAW, *DBT_LAYERS, PUBLISH_KEY.path[0], DOCS_KEY.path[0]}
    ]
    assert len(writers) > 40
    for key in writers:
        assets_def = defs.resolve_assets_def(key)
        assert assets_def.op.retry_policy == WAREHOUSE_RETRY_POLICY, key
        assert "refresh_lock" in assets_def.required_resource_keys, key
