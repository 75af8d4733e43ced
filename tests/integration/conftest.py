"""One real `finsam refresh` of the demo exports, shared by the end-to-end modules.

A refresh of the demo data takes about a minute; refresh_e2e, quality_e2e and crash_safety
each need a published data dir to start from, so they share this one (session scope) and
copy it (`published_copy`) before they change anything. The first refresh's output is
checked in test_refresh_e2e.py and test_quality_e2e.py. Under pytest-xdist (`make test` runs
the modules on several workers) the workers share it too: the first to need it refreshes, under
a file lock, into the session's common temp dir, and the others wait for that one and read it.

`generation_warehouse` writes a tiny warehouse whose marts say which refresh ("generation") they
are, for the publish tests that must tell one whole publish from half of two.

`postgres_cluster` is one throwaway PostgreSQL server for the session, `postgres_url` a new
database with its own writer for one test (the PostgreSQL publish tests).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
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


def session_temp_dir(tmp_path_factory) -> Path:
    """The temp dir of the whole test session: under xdist each worker's own base temp dir is a
    child of the one the workers share; without xdist it is the base temp dir itself."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


# The modules that keep a worker busy for minutes, longest first: the end-to-end modules with
# refreshes of their own (after the shared demo refresh), then the unit modules that run Great
# Expectations or dbt many times. Handed out early, they run side by side on the two workers and
# the many quick modules even out the end; in collection order a long unit module would come
# among the last and run on one worker while the other has nothing left to do.
LONG_MODULES = (
    "test_nightly_refresh.py",
    "test_crash_safety.py",
    "test_postgres_refresh.py",
    "test_quality_e2e.py",
    "test_quality_files_cover.py",
    "test_dbt_staging.py",
    "test_ingest_load.py",
    "test_demo.py",
)


def pytest_collection_modifyitems(config, items):
    """Module order, which is the order in which xdist workers take modules (`make test`): the
    first integration module that needs the demo refresh, then the integration modules that need
    none, then LONG_MODULES, then the rest as collected. The first worker runs the refresh while
    the second works through modules that do not wait for it."""
    here = Path(__file__).parent
    modules: dict[Path, list] = {}
    for item in items:
        modules.setdefault(item.path, []).append(item)
    integration = [m for m in modules if m.parent == here]
    needs_demo = [m for m in integration if any("demo_refresh" in item.fixturenames for item in modules[m])]
    if not needs_demo:
        return
    first = needs_demo[0]
    order = [first] + [m for m in integration if m not in needs_demo]
    order += sorted(
        (m for m in modules if m.name in LONG_MODULES and m not in order), key=lambda m: LONG_MODULES.index(m.name)
    )
    order += [m for m in modules if m not in order]
    items[:] = [item for m in order for item in modules[m]]


@pytest.fixture(scope="session")
def demo_refresh(tmp_path_factory) -> DemoRefresh:
    root = session_temp_dir(tmp_path_factory)
    data, record = root / "demo_refresh", root / "demo_refresh.json"
    with open(root / "demo_refresh.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until this worker has the refresh or waited for it
        if not record.exists():
            shutil.rmtree(data, ignore_errors=True)  # what a worker killed mid-refresh left
            generate(data / "landing", seed=DEMO_SEED, scale=DEMO_SCALE)
            personnummer = sorted(personnummer_in_landing(data / "landing"))  # the exports as written
            done = run_refresh_cli(data)
            record.write_text(json.dumps({"args": done.args, "returncode": done.returncode, "stdout": done.stdout,
                                          "stderr": done.stderr, "personnummer": personnummer}))  # fmt: skip
    saved = json.loads(record.read_text())
    first = subprocess.CompletedProcess(saved["args"], saved["returncode"], saved["stdout"], saved["stderr"])
    return DemoRefresh(data=data, first=first, personnummer=frozenset(saved["personnummer"]))


@pytest.fixture()
def published_copy(demo_refresh, tmp_path) -> Callable[[str], Path]:
    """A copy of the published demo data dir (landing, warehouse, bi, Dagster instance…)."""

    def copy(name: str = "data") -> Path:
        return demo_refresh.copy_to(tmp_path / name)

    return copy


def write_generation_warehouse(path: Path, generation: int, *, padding_rows: int = 0) -> None:
    """Two marts whose row counts are tied to the generation: genomflode g*10, resultat g*10 + 1;
    with `padding_rows`, a third mart (fordelning) of that many rows makes publish take a moment."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.genomflode as select {generation} as generation, range as n from range({generation * 10})"
        )
        con.execute(
            f"create or replace table marts.resultat as select {generation} as generation, range as n from range({generation * 10 + 1})"
        )
        if padding_rows:
            con.execute(f"create or replace table marts.fordelning as select range as n from range({padding_rows})")


@pytest.fixture(scope="session")
def generation_warehouse() -> Callable[..., None]:
    """write(path, generation, *, padding_rows=0): see write_generation_warehouse."""
    return write_generation_warehouse


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for the session (pipelines/ops/pg_cluster.py): initdb in a
    temp dir, a free port of 127.0.0.1, stopped and removed at the end. `make test` installs
    the server when it is missing; without it these tests fail and say so, never skip."""
    from pipelines.ops.pg_cluster import NoPostgres, find_bin_dir, throwaway_cluster

    try:
        find_bin_dir()
    except NoPostgres as exc:
        pytest.fail(f"the PostgreSQL publish tests need a PostgreSQL server: {exc}", pytrace=False)
    with throwaway_cluster(durable=False) as cluster:
        yield cluster


@pytest.fixture()
def postgres_url(postgres_cluster, request) -> str:
    """A new database owned by a new writer (LOGIN CREATEROLE, no superuser) for one test.
    The förbund roles are cluster-wide, so tests share them, as databases of one server do."""
    name = "w_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40] + f"_{next(_WRITERS)}"
    return postgres_cluster.create_writer(role=name, dbname=name)


_WRITERS = itertools.count()
