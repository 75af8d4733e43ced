"""A refresh whose marts are unchanged logs one line, not a warning per check that (by design)
produced no result."""

from __future__ import annotations

import logging

import dagster as dg
import pytest
from dagster._core.execution.plan import active

from pipelines.transform.assets import NO_RESULT_LOGGER, mute_checks_without_result


@pytest.fixture()
def no_result_logger():
    logger = logging.getLogger(NO_RESULT_LOGGER)
    saved = list(logger.filters)
    yield logger
    logger.filters[:] = saved


def _skipping_build(mute: bool):
    """Like the dbt asset on unchanged inputs: a multi-asset with blocking checks that yields nothing."""

    @dg.multi_asset(
        specs=[dg.AssetSpec("mart", skippable=True)],
        check_specs=[dg.AssetCheckSpec(f"check_{i}", asset="mart", blocking=True) for i in range(3)],
        can_subset=True,
    )
    def build():
        if mute:
            mute_checks_without_result()
        yield from ()

    @dg.asset(deps=["mart"])
    def published():
        return 1

    return [build, published]


def _no_result_warnings(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == NO_RESULT_LOGGER and "emitted no result" in r.getMessage()
    ]


def test_dagster_still_warns_where_we_mute_it():
    assert active.logger.name == NO_RESULT_LOGGER


def test_unmuted_dagster_warns_per_check(no_result_logger, caplog):
    caplog.set_level(logging.WARNING, logger=NO_RESULT_LOGGER)
    result = dg.materialize(_skipping_build(mute=False))
    assert result.success
    assert len(_no_result_warnings(caplog)) == 3


def test_a_skipped_build_mutes_them(no_result_logger, caplog):
    caplog.set_level(logging.WARNING, logger=NO_RESULT_LOGGER)
    result = dg.materialize(_skipping_build(mute=True))
    assert result.success
    assert _no_result_warnings(caplog) == []
    mute_checks_without_result()  # twice in one process: still one filter
    assert sum(type(f).__name__ == "_NoResultOfSkippedBuild" for f in no_result_logger.filters) == 1
