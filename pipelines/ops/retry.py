"""Step retries for the one transient failure we expect: somebody else holds a DuckDB lock.

A DuckDB file has one writer, and a read-only reader also blocks a writer. Inside a refresh the
steps run one at a time and hold the refresh lock, so a lock error on `warehouse.duckdb` means
someone outside: a data-team member's DuckDB CLI or DBeaver session on the warehouse, or a dbt
process orphaned by a refresh that was killed a moment ago. Those go away; so the writing steps
(ingest, dbt, publish, docs) carry WAREHOUSE_RETRY_POLICY: up to 4 retries after about 15, 45,
105 and 225 seconds (exponential backoff, ± 15 s jitter), ~6.5 minutes in all.

Anything else (a bug, a failing dbt test, a full disk) would fail again the same way, and a
retried dbt build costs a minute each time: `retry_only_transient()` marks such errors
`allow_retries=False`, so the retry policy applies to lock errors only.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

TRANSIENT_ERROR = re.compile(r"Could not set lock on file|Conflicting lock is held", re.IGNORECASE)


def warehouse_retry_policy(delay: float = 15.0, max_retries: int = 4) -> dg.RetryPolicy:
    return dg.RetryPolicy(
        max_retries=max_retries, delay=delay, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    )


WAREHOUSE_RETRY_POLICY = warehouse_retry_policy()


def is_transient(exc: BaseException) -> bool:
    """A DuckDB lock conflict, here or anywhere in the exception's cause chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts = [str(current), getattr(current, "description", None) or ""]
        if any(TRANSIENT_ERROR.search(t) for t in texts):
            return True
        current = current.__cause__ or current.__context__
    return False


@contextmanager
def retry_only_transient() -> Iterator[None]:
    """Let the step's retry policy see lock conflicts only; every other error fails at once."""
    try:
        yield
    except dg.RetryRequested:
        raise
    except dg.Failure as exc:
        if not is_transient(exc):
            exc.allow_retries = False
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc
