"""`finsam refresh` with FINSAM_POSTGRES_URL: the publish also replaces schema marts in PostgreSQL.

One real refresh (of a copy of the session's published demo data dir): setting the URL makes
the next refresh publish again even with unchanged inputs, PostgreSQL gets every mart of
bi.duckdb, and a second refresh finds nothing to do. Then the PostgreSQL step alone, against a
server that is not there: it fails with the reason (no password in it), bi.duckdb stays the
new publish, and the next refresh is not "unchanged" (it will publish to PostgreSQL again).
"""

from __future__ import annotations

import json
import subprocess

import dagster as dg
import duckdb
import psycopg
from cli_refresh import AS_OF, refresh_command, refresh_env

from pipelines import settings as settings_module
from pipelines.ops.lock import RefreshLockResource
from pipelines.ops.pg_cluster import free_port
from pipelines.publish.assets import postgres_marts
from pipelines.transform.inputs import nothing_to_refresh


def _refresh(data, url: str) -> subprocess.CompletedProcess:
    env = refresh_env() | {"FINSAM_POSTGRES_URL": url}
    return subprocess.run(refresh_command(data), capture_output=True, text=True, timeout=900, env=env)


def test_refresh_publishes_to_postgresql_and_a_failed_load_is_published_again(
    published_copy, postgres_url, monkeypatch
):
    data = published_copy()
    first = _refresh(data, postgres_url)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    target = postgres_url.split("@", 1)[1]
    assert f"PostgreSQL {target}  schema marts" in first.stdout
    with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as duck, psycopg.connect(postgres_url) as pg:
        marts = [
            r[0]
            for r in duck.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        for mart in marts:
            assert (
                pg.execute(f"select count(*) from marts.{mart}").fetchone()
                == duck.execute(f"select count(*) from marts.{mart}").fetchone()
            ), mart
    assert json.loads((data / "published_inputs.json").read_text())["postgres"]["target"] == target

    second = _refresh(data, postgres_url)
    assert second.returncode == 0 and "Nothing changed since the publish" in second.stdout, second.stdout[-2000:]

    # The server is gone: only the PostgreSQL step, in process, as the refresh runs it.
    dead = f"postgresql://finsam:hemligt-losenord@127.0.0.1:{free_port()}/finsam"
    monkeypatch.setenv(settings_module.ENV_DATA_DIR, str(data))
    monkeypatch.setenv(settings_module.ENV_AS_OF, AS_OF)
    monkeypatch.setenv(settings_module.ENV_POSTGRES_URL, dead)
    bi_before = (data / "bi.duckdb").stat().st_ino
    result = dg.materialize(
        [postgres_marts], resources={"refresh_lock": RefreshLockResource(timeout_seconds=0)}, raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).event_specific_data.error.to_string()
    assert "PostgresPublishError: PostgreSQL 127.0.0.1:" in failure and "as it was before this publish" in failure
    assert "hemligt" not in failure
    assert (data / "bi.duckdb").stat().st_ino == bi_before
    settings = settings_module.get_settings()
    assert nothing_to_refresh(settings) is None  # the next refresh publishes again
    monkeypatch.setenv(settings_module.ENV_POSTGRES_URL, postgres_url)
    assert nothing_to_refresh(settings_module.get_settings()) is not None
