"""What the published marts were built from, as one fingerprint, so an unchanged refresh is cheap.

The marts are a function of
- the raw rows: exactly the files `raw._file_ledger` lists as loaded (kind, SHA-256);
- the dbt vars (`as_of`);
- the dbt project (models, seeds, macros, tests, dbt_project.yml) and the quality suites and
  rules that gate publish (expectations/, pipelines/quality/);
- the versions of DuckDB, dbt-core and dbt-duckdb.
Their SHA-256 is the fingerprint. Publish writes it to `<data dir>/published_inputs.json`
after the swap (and, with FINSAM_POSTGRES_URL, which PostgreSQL database got the same marts:
a publish whose PostgreSQL load failed is not "unchanged", so the next refresh publishes
again). The next refresh still ingests (that is how it learns whether a file is new), but
when the fingerprint equals the published one and bi.duckdb is there, the dbt asset yields
nothing: dbt, the mart checks, publish, docs and reports are skipped, and bi.duckdb,
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

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipelines.ingest.load import files_to_ingest, has_ledger
from pipelines.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, PROJECT_ROOT, Settings
from pipelines.transform.project import dbt_vars

PUBLISHED_INPUTS_FILE = "published_inputs.json"
DBT_INPUTS = (  # what the dbt docs show: the dbt project alone
    DBT_PROJECT_DIR / "models",
    DBT_PROJECT_DIR / "seeds",
    DBT_PROJECT_DIR / "macros",
    DBT_PROJECT_DIR / "tests",
    DBT_PROJECT_DIR / "dbt_project.yml",
)
CODE_INPUTS = DBT_INPUTS + (
    EXPECTATIONS_DIR / "expectations",
    PROJECT_ROOT / "pipelines" / "quality",
)
VERSIONED_PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb")


def _code_files(inputs: tuple[Path, ...] = CODE_INPUTS) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        if item.is_file():
            files.append(item)
        elif item.is_dir():
            files.extend(p for p in item.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(files)


def _loaded_files(warehouse: Path) -> list[tuple[str, str]]:
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_ledger(con):
            return []
        return con.execute(
            "select kind, sha256 from raw._file_ledger where status = 'loaded' order by kind, sha256"
        ).fetchall()


def inputs_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256()
    for kind, sha256 in _loaded_files(settings.warehouse_path):
        digest.update(f"file\t{kind}\t{sha256}\n".encode())
    digest.update(f"vars\t{dbt_vars(settings)}\n".encode())
    _add_code(digest, CODE_INPUTS)
    return digest.hexdigest()


def dbt_project_fingerprint() -> str:
    """SHA-256 of the dbt project's files and the DuckDB / dbt versions: what the dbt docs are
    generated from (models, columns, tests, lineage), not the data or as_of."""
    digest = hashlib.sha256()
    _add_code(digest, DBT_INPUTS)
    return digest.hexdigest()


def _add_code(digest: hashlib._Hash, inputs: tuple[Path, ...]) -> None:
    for package in VERSIONED_PACKAGES:
        digest.update(f"package\t{package}\t{version(package)}\n".encode())
    for path in _code_files(inputs):
        digest.update(f"code\t{path.relative_to(PROJECT_ROOT).as_posix()}\t".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def published_inputs_path(settings: Settings) -> Path:
    return settings.data_dir / PUBLISHED_INPUTS_FILE


def record_published(settings: Settings, fingerprint: str, published_at: str, build_id: int | None = None) -> None:
    """After a publish: what bi.duckdb was built from (written atomically), and which warehouse
    build it holds (pipeline_state.builds: the next publish replaces only what changed since)."""
    path = published_inputs_path(settings)
    tmp = path.with_name(path.name + ".tmp")
    record = {"fingerprint": fingerprint, "published_at": published_at, "build_id": build_id}
    tmp.write_text(json.dumps(record), encoding="utf-8")
    tmp.replace(path)


def record_postgres_published(settings: Settings, target: str, fingerprint: str) -> None:
    """After the PostgreSQL publish: which database has the marts of which inputs."""
    record = last_published(settings) or {}
    record["postgres"] = {"target": target, "fingerprint": fingerprint}
    path = published_inputs_path(settings)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    tmp.replace(path)


def postgres_behind(settings: Settings, record: dict) -> bool:
    """FINSAM_POSTGRES_URL is set and its database lacks the marts of this publish (its load
    failed, or the URL names another database): a refresh must publish again."""
    if not settings.postgres_url:
        return False
    from pipelines.publish.postgres import target_of

    return record.get("postgres") != {
        "target": target_of(settings.postgres_url),
        "fingerprint": record.get("fingerprint"),
    }


def last_published(settings: Settings) -> dict | None:
    try:
        return json.loads(published_inputs_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
