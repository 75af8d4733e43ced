"""The dbt unit tests (`unit_tests:` in the model YAML files): every metric rule on fixed rows.

The nightly refresh leaves them out (`dbt build --exclude-resource-type unit_test`): they test
the SQL, not the data, so they belong to CI. dbt needs the models' parents to exist to read
their column types, so they run against a copy of the shared demo refresh's warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR


def _unit_tests_in_project() -> set[str]:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return set(manifest["unit_tests"])


def test_every_dbt_unit_test_passes(published_copy, tmp_path: Path) -> None:
    data = published_copy()
    target = tmp_path / "target"
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [
            str(dbt), "test", "--select", "test_type:unit",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(tmp_path / "logs"),
            "--vars", "{as_of: '2026-10-31'}",
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "FINSAM_WAREHOUSE_PATH": str(data / "warehouse.duckdb")},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"] for r in results}
    assert ran == _unit_tests_in_project()
    assert len(ran) >= 35
    assert {r["status"] for r in results} == {"pass"}
