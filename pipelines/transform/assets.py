"""dbt models, seeds and tests as Dagster assets and asset checks."""


import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.settings import get_settings
from pipelines.transform.project import FinsamTranslator, dbt_env, dbt_project, dbt_vars, ensure_manifest

ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=FinsamTranslator(),
    project=dbt_project,
    pool="warehouse_writer",
)
def finsam_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    settings = get_settings()
    # dbt runs as a subprocess that inherits os.environ; profiles.yml reads the warehouse path.
    os.environ.update(dbt_env(settings))
    yield from dbt.cli(["build", "--vars", dbt_vars(settings)], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The venv's dbt, even when the venv is not activated (make run, CI, the Dagster daemon).
    dbt_executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir), dbt_executable=str(dbt_executable)
    )
