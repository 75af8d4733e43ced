"""One real `finsam refresh` of the demo exports, shared by the end-to-end modules.

A refresh of the demo data takes about a minute; refresh_e2e, quality_e2e and crash_safety
each need a published data dir to start from, so they share this one (session scope) and
copy it (`published_copy`) before they change anything. The first refresh's output is
checked in test_refresh_e2e.py and test_quality_e2e.py.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_refresh import personnummer_in_landing, run_refresh_cli

from pipelines.demo.generate import generate

DEMO_SEED, DEMO_SCALE = 7, 0.3


@dataclass(frozen=True)
class DemoRefresh:
    data: Path
    first: subprocess.CompletedProcess
    personnummer: frozenset[str]

    def copy_to(self, target: Path) -> Path:
        """A copy of the published data dir, to change without touching the shared one."""
        assert self.first.returncode == 0, self.first.stdout[-3000:] + self.first.stderr[-3000:]
        shutil.copytree(self.data, target, symlinks=True)
        return target


@pytest.fixture(scope="session")
def demo_refresh(tmp_path_factory) -> DemoRefresh:
    data = tmp_path_factory.mktemp("demo_refresh")
    generate(data / "landing", seed=DEMO_SEED, scale=DEMO_SCALE)
    personnummer = frozenset(personnummer_in_landing(data / "landing"))
    first = run_refresh_cli(data)
    return DemoRefresh(data=data, first=first, personnummer=personnummer)


@pytest.fixture()
def published_copy(demo_refresh, tmp_path) -> Callable[[str], Path]:
    """A copy of the published demo data dir (landing, warehouse, bi, Dagster instance…)."""

    def copy(name: str = "data") -> Path:
        return demo_refresh.copy_to(tmp_path / name)

    return copy
