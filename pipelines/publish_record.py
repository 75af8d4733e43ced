"""What publish has published: `<data dir>/published_inputs.json`.

After the swap of bi.duckdb, publish records the fingerprint of the inputs its marts were built
from (pipelines/fingerprint.py) and when; after the PostgreSQL publish, which database got the
marts of which inputs. Publish writes this file and nothing else does; transform reads it to
skip a build whose inputs are the published ones (pipelines/transform/inputs.py), the mart
checks and the reports to work on what changed since. The module is outside the publish
package so that none of them has to import publish.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.atomic_file import write_text_atomic
from pipelines.settings import Settings

PUBLISHED_INPUTS_FILE = "published_inputs.json"


def published_inputs_path(settings: Settings) -> Path:
    return settings.data_dir / PUBLISHED_INPUTS_FILE


def record_published(
    settings: Settings, fingerprint: str, published_at: str, build_id: int | None = None, changed: dict | None = None
) -> None:
    """After a publish: what bi.duckdb was built from (written atomically), which warehouse
    build it holds (pipeline_state.builds: the next publish replaces only what changed since),
    and, after a night, what differs from the publish of build `since_build_id`: `rows` of
    (mart, forbund, period_start, period_slut), null meaning any (the reports redo only those)."""
    path = published_inputs_path(settings)
    record = {"fingerprint": fingerprint, "published_at": published_at, "build_id": build_id, "changed": changed}
    write_text_atomic(path, json.dumps(record, default=str))


def record_postgres_published(settings: Settings, target: str, fingerprint: str) -> None:
    """After the PostgreSQL publish: which database has the marts of which inputs."""
    record = last_published(settings) or {}
    record["postgres"] = {"target": target, "fingerprint": fingerprint}
    write_text_atomic(published_inputs_path(settings), json.dumps(record))


def last_published(settings: Settings) -> dict | None:
    try:
        return json.loads(published_inputs_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
