"""The docs group: the dbt docs site of this warehouse, as the asset `docs/dbt_docs`.

`dbt docs generate --static` into `<data dir>/docs/dbt/`: `index.html` is one
self-contained file (opens from disk, no web server), beside it `manifest.json` and
`catalog.json` for tools. Built by the asset `docs/dbt_docs`, right after publish, and only
when the dbt project or the DuckDB / dbt versions changed since the docs there were made
(`dbt_project_fingerprint`, kept in `.fingerprint` beside them): the docs describe models,
columns, tests and lineage, which the nightly data does not change. Their compiled SQL shows
the as_of of the run that generated them.

A full build of the whole project (which every change of the project makes) hands its
`manifest.json` and parse state to the docs (`keep_build_for_docs`, called by the dbt asset):
the docs are then made from them with `--no-compile`, instead of dbt parsing and compiling the
project once more (about a third of the time). Without such a build, for instance when the docs
were deleted by hand after a night, dbt compiles as before.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from pipelines.asset_keys import DOCS_KEY, PUBLISH_KEY
from pipelines.dbt_project import dbt_env, dbt_vars
from pipelines.fingerprint import dbt_project_fingerprint
from pipelines.ops.retry import WAREHOUSE_RETRY_POLICY, retry_only_transient
from pipelines.settings import DBT_PROJECT_DIR, Settings, get_settings

DOCS_FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}
DOCS_FINGERPRINT = ".fingerprint"
# In the docs' dbt target dir: the last full build's manifest (compiled SQL included) and parse
# state, with the project fingerprint they belong to.
BUILD_DIR = "build"
BUILD_FILES = ("manifest.json", "partial_parse.msgpack")


def _work_dir(settings: Settings) -> Path:
    return settings.docs_dir / ".dbt_target"  # kept between runs: dbt's partial parsing


def docs_dir(settings: Settings) -> Path:
    return settings.docs_dir / "dbt"


def docs_are_current(settings: Settings, fingerprint: str) -> bool:
    out = docs_dir(settings)
    try:
        recorded = (out / DOCS_FINGERPRINT).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return recorded == fingerprint and all((out / name).exists() for name in DOCS_FILES.values())


def keep_build_for_docs(run_target: Path, settings: Settings, fingerprint: str) -> None:
    """After a full build of the whole project: keep its manifest and parse state for the docs
    (module docstring). The fingerprint is written last, so a stop halfway keeps nothing usable."""
    kept = _work_dir(settings) / BUILD_DIR
    shutil.rmtree(kept, ignore_errors=True)  # an older build's state must not outlive this build
    if not all((Path(run_target) / name).is_file() for name in BUILD_FILES):
        return  # the docs compile for themselves
    tmp = kept.with_name(f".{BUILD_DIR}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in BUILD_FILES:
        shutil.copyfile(Path(run_target) / name, tmp / name)
    (tmp / DOCS_FINGERPRINT).write_text(fingerprint, encoding="utf-8")
    tmp.rename(kept)


def kept_build(settings: Settings, fingerprint: str | None) -> Path | None:
    """The kept build's folder when it is complete and of this dbt project, else None."""
    kept = _work_dir(settings) / BUILD_DIR
    try:
        recorded = (kept / DOCS_FINGERPRINT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    usable = fingerprint is not None and recorded == fingerprint and all((kept / n).is_file() for n in BUILD_FILES)
    return kept if usable else None


def generate_dbt_docs(settings: Settings, fingerprint: str | None = None) -> tuple[Path, bool]:
    """`dbt docs generate --static` for this warehouse; returns `<data dir>/docs/dbt/index.html`
    and whether the docs came from the kept full build. With a fingerprint, records it beside
    the docs (after them, so a crash leaves none), and uses the build kept for that fingerprint
    when there is one (module docstring)."""
    work = _work_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    build = kept_build(settings, fingerprint)
    if build is not None:
        # dbt reads target/manifest.json for the page and parses (from the build's state) only
        # for the catalog
        for name in BUILD_FILES:
            shutil.copyfile(build / name, work / name)
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "docs", "generate", "--static",
        *(["--no-compile"] if build is not None else []),
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work), "--log-path", str(work), "--vars", dbt_vars(settings),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **dbt_env(settings)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"dbt docs generate failed (exit {done.returncode}):\n{tail}")
    out = docs_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    for source, name in DOCS_FILES.items():
        tmp = out / f".{name}.tmp"
        shutil.copyfile(work / source, tmp)
        os.replace(tmp, out / name)  # a reader never sees half a file
    if fingerprint is not None:
        (out / DOCS_FINGERPRINT).write_text(fingerprint, encoding="utf-8")
    return out / "index.html", build is not None


def build_dbt_docs_asset(deps: Sequence[dg.AssetKey] | None = None) -> dg.AssetsDefinition:
    """After publish by default: generating the docs takes a while and BI users should not wait for them."""

    @dg.asset(
        key=DOCS_KEY,
        deps=list(deps) if deps is not None else [PUBLISH_KEY],
        group_name="docs",
        kinds={"dbt", "html"},
        owners=["team:data"],
        pool="warehouse_writer",
        retry_policy=WAREHOUSE_RETRY_POLICY,
        required_resource_keys={"refresh_lock"},
        description=(
            "dbt docs for this warehouse (every model, column, test and the lineage), as one "
            "self-contained page: <data dir>/docs/dbt/index.html, with manifest.json and catalog.json."
        ),
    )
    def dbt_docs(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = get_settings()
        started = time.monotonic()
        fingerprint = dbt_project_fingerprint()
        # Not on --force either: the docs describe the project, which the data does not change
        # (catalog.json has no row counts for DuckDB); docs_are_current also wants every file there.
        regenerated = not docs_are_current(settings, fingerprint)
        from_build = False
        if regenerated:
            with retry_only_transient():
                index, from_build = generate_dbt_docs(settings, fingerprint)
            how = "from the full build's manifest" if from_build else "compiled anew"
            context.log.info(f"dbt docs written to {index} ({how})")
        else:
            index = docs_dir(settings) / "index.html"
            context.log.info(f"dbt docs kept: the dbt project is unchanged since {index} was generated")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(index)),
                "url": dg.MetadataValue.url(index.as_uri()),
                "size_bytes": index.stat().st_size,
                "regenerated": regenerated,
                "from_full_build": from_build,  # compiled SQL of the build, no compile of its own
                "seconds": round(time.monotonic() - started, 1),
            }
        )

    return dbt_docs
