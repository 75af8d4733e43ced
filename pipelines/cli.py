"""`finsam`: the command line. Thin: it sets the settings, then hands over to Dagster."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipelines import settings as settings_module

app = typer.Typer(add_completion=False, no_args_is_help=True, help="finsam-warehouse: FINSAM exports → validated DuckDB marts.")

EXIT_OK, EXIT_FAILED, EXIT_QUARANTINED = 0, 1, 2
EXIT_BUSY = 3  # ops: another refresh holds <data dir>/refresh.lock (pipelines/ops/lock.py)
PROJECT_DAGSTER_YAML = settings_module.PROJECT_ROOT / "dagster.yaml"


def apply_flags(landing: Path | None = None, data_dir: Path | None = None, as_of: str | None = None) -> settings_module.Settings:
    """Flags override the FINSAM_* environment (which Dagster's code reads through get_settings)."""
    if data_dir is not None:
        os.environ[settings_module.ENV_DATA_DIR] = str(data_dir.resolve())
    if landing is not None:
        os.environ[settings_module.ENV_LANDING_DIR] = str(landing.resolve())
    if as_of is not None:
        dt.date.fromisoformat(as_of)  # fail early on a bad date
        os.environ[settings_module.ENV_AS_OF] = as_of
    s = settings_module.get_settings()
    # Pin every setting for the Dagster run (and the dbt subprocess) to what we resolved now.
    os.environ[settings_module.ENV_DATA_DIR] = str(s.data_dir)
    os.environ[settings_module.ENV_LANDING_DIR] = str(s.landing_dir)
    os.environ[settings_module.ENV_AS_OF] = s.as_of.isoformat()
    return s


def prepare_dagster_home(s: settings_module.Settings) -> Path:
    """DAGSTER_HOME defaults to <data dir>/dagster_home, so CLI runs show in `make ui`."""
    home = Path(os.environ.get("DAGSTER_HOME") or s.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and PROJECT_DAGSTER_YAML.exists():
        shutil.copyfile(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="Folder to write the exports to.")] = Path("data/landing"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 42,
    scale: Annotated[float, typer.Option(help="Size factor; 1 = a few förbund, ~300 = national scale.")] = 1.0,
) -> None:
    """Write synthetic exports of every source kind, in the forms real exports take."""
    from pipelines.demo.generate import generate

    paths = generate(out, seed=seed, scale=scale)
    for p in paths:
        typer.echo(f"  {p}  ({p.stat().st_size:,} bytes)")
    typer.echo(f"{len(paths)} files written to {out}")


@app.command()
def refresh(
    landing: Annotated[Optional[Path], typer.Option(help="Landing folder (FINSAM_LANDING_DIR; default <data dir>/landing).")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data folder (FINSAM_DATA_DIR; default ./data).")] = None,
    as_of: Annotated[Optional[str], typer.Option(help="Data date YYYY-MM-DD (FINSAM_AS_OF; default today).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild and publish even if nothing changed since the last publish (FINSAM_FORCE_REBUILD).")] = False,
) -> None:
    """Materialise the whole asset graph in process: ingest → dbt → publish.

    When no loaded file, dbt model, check or the as-of date changed since the last publish,
    only ingest runs and BI keeps what it has (`--force` rebuilds anyway).

    Exit code 0 = everything materialised and published, or nothing changed; 2 = published, but some files were
    quarantined; 1 = failed, nothing published (the summary says when a step after publish
    failed); 3 = another refresh is running, nothing done (FINSAM_LOCK_TIMEOUT: seconds to wait
    for it, default 0). A failure is also written to <data dir>/alerts.log and posted to
    FINSAM_ALERT_WEBHOOK_URL when set.
    """
    from pipelines.ops.lock import RefreshBusy
    from pipelines.run import run_refresh

    if force:
        os.environ[settings_module.ENV_FORCE_REBUILD] = "1"
    s = apply_flags(landing, data_dir, as_of)
    settings_module.warn_if_demo_key(s)
    prepare_dagster_home(s)
    try:
        outcome = run_refresh(s)
    except RefreshBusy as busy:  # ops
        typer.echo(f"finsam refresh: {busy}", err=True)
        raise typer.Exit(EXIT_BUSY) from None
    outcome.print_summary()
    raise typer.Exit(outcome.exit_code)


@app.command()
def report(
    forbund: Annotated[str, typer.Option(help="The förbund, as in marts.dim_insats.")],
    period: Annotated[str, typer.Option(help="Period id: 2022-H1, 2022, 2022-Q2, 2022-06 or 2021-07--2022-06.")],
    insats: Annotated[Optional[str], typer.Option(help="Insats-ID; without it the report covers the whole förbund.")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data folder (FINSAM_DATA_DIR; default ./data).")] = None,
) -> None:
    """Write the half-year / annual report (Swedish HTML) from <data dir>/bi.duckdb; print its path."""
    from pipelines.report import render_report

    s = apply_flags(data_dir=data_dir)
    try:
        path = render_report(s.bi_path, s.reports_dir, forbund, insats, period, s.suppression_threshold)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"report: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(str(path))


export_app = typer.Typer(no_args_is_help=True, help="Files for other systems, from <data dir>/bi.duckdb.")
app.add_typer(export_app, name="export")


@export_app.command("uppfoljning-finsam")
def export_uppfoljning_finsam(
    forbund: Annotated[str, typer.Option(help="The förbund, as in marts.uppfoljning_finsam.")],
    ar: Annotated[str, typer.Option(help="A complete year, e.g. 2025.")],
    data_dir: Annotated[Optional[Path], typer.Option(help="Data folder (FINSAM_DATA_DIR; default ./data).")] = None,
) -> None:
    """Write the förbund's Uppföljning Finsam figures for the year as an Excel workbook
    (<data dir>/exports/uppfoljning_finsam/<förbund>/<år>.xlsx); print its path."""
    import duckdb

    from pipelines.export.uppfoljning_finsam import export_one

    s = apply_flags(data_dir=data_dir)
    if not s.bi_path.exists():
        typer.echo(f"export: {s.bi_path} does not exist; run `finsam refresh` first", err=True)
        raise typer.Exit(EXIT_FAILED)
    try:
        path = export_one(s.bi_path, s.exports_dir / "uppfoljning_finsam", forbund, ar)
    except (duckdb.Error, ValueError) as exc:  # duckdb.Error: a bi.duckdb published before the mart existed
        typer.echo(f"export: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(str(path))


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
