"""Skip an unchanged refresh: the marts' inputs are those of the last publish.

The inputs of the marts are one fingerprint (pipelines/fingerprint.py). Publish records it in
`<data dir>/published_inputs.json` after the swap (pipelines/publish_record.py; with
FINSAM_POSTGRES_URL also which PostgreSQL database got the same marts: a publish whose
PostgreSQL load failed is not "unchanged", so the next refresh publishes again). Transform only
reads that record. The next refresh still ingests (that is how it learns whether a file is
new), but when the fingerprint equals the published one and bi.duckdb is there, the dbt asset
yields nothing: dbt, the mart checks, publish, docs and reports are skipped, and bi.duckdb,
the Parquet copies and the reports stay as they are (they are what these inputs give).
`finsam refresh --force` (FINSAM_FORCE_REBUILD=1) rebuilds regardless.

`finsam refresh` checks the same before it starts a Dagster run (`nothing_to_refresh`): when no
landing file is new and the fingerprint is the published one, it starts none and says so.
Creating a run alone costs seconds (Dagster logs a planned event for every asset and each of
the ~400 checks); the schedule, the sensor and the UI go through the run and the dbt asset.

Note that `as_of` defaults to today: the nightly run rebuilds every day, as it must (ongoing
episodes and rolling periods move with the date). Unchanged inputs mean a second run on the
same day, or the landing sensor firing for a file that was then quarantined.
"""

from __future__ import annotations

import duckdb

from pipelines.fingerprint import inputs_fingerprint
from pipelines.ingest.load import files_to_ingest
from pipelines.publish_record import last_published
from pipelines.settings import Settings


def postgres_behind(settings: Settings, record: dict) -> bool:
    """FINSAM_POSTGRES_URL is set and its database lacks the marts of this publish (its load
    failed, or the URL names another database): a refresh must publish again."""
    if not settings.postgres_url:
        return False
    # Here, not at the top: it loads psycopg and pyarrow, needed only when PostgreSQL is configured.
    from pipelines.publish.postgres import target_of

    return record.get("postgres") != {
        "target": target_of(settings.postgres_url),
        "fingerprint": record.get("fingerprint"),
    }


def unchanged_since_publish(settings: Settings, fingerprint: str) -> dict | None:
    """The last publish's record when bi.duckdb is there and was built from these very inputs."""
    if settings.force_rebuild or not settings.bi_path.exists():
        return None
    record = last_published(settings)
    if not record or record.get("fingerprint") != fingerprint or postgres_behind(settings, record):
        return None
    return record


def nothing_to_refresh(settings: Settings) -> dict | None:
    """The last publish's record when a refresh now would change nothing: no landing file to
    ingest, and the inputs of the last publish (see the module docstring)."""
    if not settings.warehouse_path.exists():
        return None
    # The cheap test first: on the nightly run as_of has moved, and the landing files need no
    # hashing here (ingest hashes them anyway).
    record = unchanged_since_publish(settings, inputs_fingerprint(settings))
    if record is None:
        return None
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return None if files_to_ingest(con, settings.landing_dir) else record
