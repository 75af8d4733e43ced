"""What the published marts are built from, as one fingerprint.

The marts are a function of
- the raw rows: exactly the files `raw._file_ledger` lists as loaded (kind, SHA-256);
- the dbt vars (`as_of`);
- the dbt project (models, seeds, macros, tests, dbt_project.yml) and the quality suites and
  rules that gate publish (expectations/, pipelines/quality/);
- the versions of DuckDB, dbt-core and dbt-duckdb.
Their SHA-256 is `inputs_fingerprint`. Publish records it (pipelines/publish_record.py) and
transform compares with it to skip an unchanged build (pipelines/transform/inputs.py), so it
lives in neither: publish does not import transform, and transform only reads the record.
`dbt_project_fingerprint` covers the dbt project alone: what the dbt docs show
(pipelines/docs/assets.py) and what decides a full dbt rebuild (pipelines/nightly_scope.py).
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipelines.dbt_project import dbt_vars
from pipelines.ingest.load import has_ledger
from pipelines.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, PROJECT_ROOT, Settings

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
