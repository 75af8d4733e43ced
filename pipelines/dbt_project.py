"""The dbt project handle, the manifest it is built from, and the asset-key translator.

Transform builds the project; docs generates its site from it, publish and the mart checks read
its manifest (which marts a night rebuilds in part), and the fingerprint hashes its vars. So it
lives in none of those packages: none of them has to import another for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from pipelines.settings import DBT_PROJECT_DIR, Settings, get_settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_DBT_INPUTS = ("models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml")


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment for a dbt process: where the warehouse is and DuckDB's memory limit (profiles.yml
    reads them), and no dbt.log unless the operator asks for one."""
    return {
        "FINSAM_WAREHOUSE_PATH": str(settings.warehouse_path),
        "FINSAM_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        # dbt's log file takes every debug event, each SQL statement among them, as a JSON line
        # (dagster-dbt sets the JSON format): about a tenth of a build's time, most of it for the
        # hundreds of small tests. dbt's info log still reaches Dagster's compute logs; set
        # DBT_LOG_LEVEL_FILE=debug for the file (it lands in the run's dbt_project/target/<run>/).
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "none"),
    }


def dbt_vars(settings: Settings) -> str:
    return f"{{as_of: '{settings.as_of.isoformat()}'}}"


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in _DBT_INPUTS:
        path = DBT_PROJECT_DIR / name
        paths = path.rglob("*") if path.is_dir() else [path]
        for p in paths:
            if p.is_file():
                newest = max(newest, p.stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any dbt file.

    The manifest is built once and reused (cheap mtime check at import), not re-parsed on
    every import of the code location.
    """
    manifest = dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime():
        return manifest
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, **dbt_env(get_settings())}
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True,
        env=env,
        cwd=DBT_PROJECT_DIR,
    )
    return manifest


class FinsamTranslator(DagsterDbtTranslator):
    """Asset keys mirror the data flow: raw/<kind> → staging/stg_… → intermediate/int_… → marts/….

    Sources keep the key given in their YAML (`meta.dagster.asset_key`, the ingest asset's key);
    models and seeds are keyed and grouped by their schema (staging, intermediate, marts, seeds).
    """

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        layer = props["schema"]
        return spec.replace_attributes(key=dg.AssetKey([layer, props["name"]]), group_name=layer)
