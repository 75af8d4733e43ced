"""`finsam`: the command line. Thin: it sets the settings, then hands over to Dagster.

Bad input (a flag, a setting, a folder) gets one line on stderr, `finsam <command>: error: …`
naming the flag or path and the form expected, and exit code 1 -- never a traceback, and never
click's usage exit code 2, which here means "published with quarantined files".
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from pipelines import settings as settings_module

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="finsam-warehouse: FINSAM exports → validated DuckDB marts."
)

EXIT_OK, EXIT_FAILED, EXIT_QUARANTINED = 0, 1, 2
EXIT_BUSY = 3  # another refresh holds <data dir>/refresh.lock (pipelines/ops/lock.py)
PROJECT_DAGSTER_YAML = settings_module.PROJECT_ROOT / "dagster.yaml"
# marts.dim_period's ids: ar, halvar, kvartal, manad, rullande_12
PERIOD_ID = re.compile(r"\d{4}(-H[12]|-Q[1-4]|-\d{2})?|\d{4}-\d{2}--\d{4}-\d{2}")
PERIOD_FORMS = "2022-H1, 2022, 2022-Q2, 2022-06 or 2021-07--2022-06"


def fail(command: str, message: str, code: int = EXIT_FAILED) -> NoReturn:
    """One line on stderr and the exit code; the message names the flag or path and the expected form."""
    typer.echo(f"finsam {command}: error: {message}", err=True)
    raise typer.Exit(code)


def apply_flags(
    landing: Path | None = None, data_dir: Path | None = None, as_of: str | None = None
) -> settings_module.Settings:
    """Flags override the FINSAM_* environment (which Dagster's code reads through get_settings).

    Raises settings.SettingsError for a flag or variable that cannot be used."""
    if data_dir is not None:
        os.environ[settings_module.ENV_DATA_DIR] = str(data_dir.resolve())
    if landing is not None:
        os.environ[settings_module.ENV_LANDING_DIR] = str(landing.resolve())
    if as_of is not None:
        settings_module.parse_as_of(as_of, "--as-of")  # fail early on a bad date, naming the flag
        os.environ[settings_module.ENV_AS_OF] = as_of
    s = settings_module.get_settings()
    # Pin every setting for the Dagster run (and the dbt subprocess) to what we resolved now.
    os.environ[settings_module.ENV_DATA_DIR] = str(s.data_dir)
    os.environ[settings_module.ENV_LANDING_DIR] = str(s.landing_dir)
    os.environ[settings_module.ENV_AS_OF] = s.as_of.isoformat()
    return s


def settings_or_fail(command: str, **flags) -> settings_module.Settings:
    try:
        return apply_flags(**flags)
    except settings_module.SettingsError as exc:
        fail(command, str(exc))


def given_as(flag_value: object, flag: str, env: str, what: str, default: str) -> tuple[str, str]:
    """How the user chose a folder, as (label, hint) for an error message; ask before
    apply_flags pins the environment."""
    if flag_value is not None:
        return flag, ""
    if os.environ.get(env):
        return env, ""
    return what, f" (the default, {default}; choose another with {flag} or {env})"


def folder_or_fail(command: str, path: Path, given: tuple[str, str]) -> None:
    label, hint = given
    if not path.exists():
        fail(command, f"{label} {path}: no such folder{hint}")
    if not path.is_dir():
        fail(command, f"{label} {path}: not a folder{hint}")


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
    if not (math.isfinite(scale) and scale > 0):
        fail("demo-data", f"--scale must be a number above 0, e.g. 0.3 or 2, not {scale}")
    if out.exists() and not out.is_dir():
        fail("demo-data", f"--out {out}: not a folder")
    from pipelines.demo.generate import generate

    try:
        paths = generate(out, seed=seed, scale=scale)
    except OSError as exc:
        fail("demo-data", f"--out {out}: cannot write there ({exc.strerror or exc})")
    for p in paths:
        typer.echo(f"  {p}  ({p.stat().st_size:,} bytes)")
    typer.echo(f"{len(paths)} files written to {out}")


@app.command()
def refresh(
    landing: Annotated[
        Path | None, typer.Option(help="Landing folder (FINSAM_LANDING_DIR; default <data dir>/landing).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (FINSAM_DATA_DIR; default ./data).")] = None,
    as_of: Annotated[str | None, typer.Option(help="Data date YYYY-MM-DD (FINSAM_AS_OF; default today).")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Rebuild and publish even if nothing changed since the last publish (FINSAM_FORCE_REBUILD)."
        ),
    ] = False,
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
    data_given = given_as(data_dir, "--data-dir", settings_module.ENV_DATA_DIR, "data folder", "./data")
    landing_given = given_as(
        landing, "--landing", settings_module.ENV_LANDING_DIR, "landing folder", "<data dir>/landing"
    )
    if force:
        os.environ[settings_module.ENV_FORCE_REBUILD] = "1"
    s = settings_or_fail("refresh", landing=landing, data_dir=data_dir, as_of=as_of)
    # A mistyped data folder would otherwise become a new, empty warehouse that BI never reads.
    folder_or_fail("refresh", s.data_dir, data_given)
    folder_or_fail("refresh", s.landing_dir, landing_given)
    check_something_to_load(s)

    import duckdb

    from pipelines.ops.lock import RefreshBusy
    from pipelines.run import run_refresh

    settings_module.warn_if_demo_key(s)
    prepare_dagster_home(s)
    try:
        outcome = run_refresh(s)
    except RefreshBusy as busy:  # ops
        fail("refresh", str(busy), EXIT_BUSY)
    except duckdb.Error as exc:  # before the run starts; the run's own steps retry lock conflicts
        fail(
            "refresh",
            f"{s.warehouse_path} cannot be opened ({' '.join(str(exc).split())}); "
            "if another program has it open (the DuckDB CLI, DBeaver, a notebook), close it and try again",
        )
    outcome.print_summary()
    raise typer.Exit(outcome.exit_code)


@app.command()
def report(
    forbund: Annotated[str, typer.Option(help="The förbund, as in marts.dim_insats.")],
    period: Annotated[str, typer.Option(help="Period id: 2022-H1, 2022, 2022-Q2, 2022-06 or 2021-07--2022-06.")],
    insats: Annotated[
        str | None, typer.Option(help="Insats-ID; without it the report covers the whole förbund.")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (FINSAM_DATA_DIR; default ./data).")] = None,
) -> None:
    """Write the half-year / annual report (Swedish HTML) from <data dir>/bi.duckdb; print its path."""
    if not PERIOD_ID.fullmatch(period):
        fail("report", f"--period must look like {PERIOD_FORMS}, not {period!r}")
    data_given = given_as(data_dir, "--data-dir", settings_module.ENV_DATA_DIR, "data folder", "./data")
    s = settings_or_fail("report", data_dir=data_dir)
    folder_or_fail("report", s.data_dir, data_given)
    if not s.bi_path.is_file():
        fail(
            "report", f"{s.bi_path}: no such file; run `finsam refresh` first, or give the data folder with --data-dir"
        )

    import duckdb

    from pipelines.report import render_report
    from pipelines.report.data import NotInMarts

    try:
        path = render_report(s.bi_path, s.reports_dir, forbund, insats, period, s.suppression_threshold)
    except NotInMarts as exc:
        fail("report", f"--{exc.option}: {exc}")
    except ValueError as exc:  # bi.duckdb lacks a mart the report needs
        fail("report", f"{s.bi_path}: {exc}")
    except duckdb.Error as exc:  # not a DuckDB file, or one from a newer DuckDB
        fail("report", f"{s.bi_path}: cannot be read: {' '.join(str(exc).split())}")
    typer.echo(str(path))


export_app = typer.Typer(no_args_is_help=True, help="Files for other systems, from <data dir>/bi.duckdb.")
app.add_typer(export_app, name="export")


@export_app.command("uppfoljning-finsam")
def export_uppfoljning_finsam(
    forbund: Annotated[str, typer.Option(help="The förbund, as in marts.uppfoljning_finsam.")],
    ar: Annotated[str, typer.Option(help="A complete year, e.g. 2025.")],
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (FINSAM_DATA_DIR; default ./data).")] = None,
) -> None:
    """Write the förbund's Uppföljning Finsam figures for the year as an Excel workbook
    (<data dir>/exports/uppfoljning_finsam/<förbund>/<år>.xlsx); print its path."""
    import duckdb

    from pipelines.export.uppfoljning_finsam import export_one

    command = "export uppfoljning-finsam"
    data_given = given_as(data_dir, "--data-dir", settings_module.ENV_DATA_DIR, "data folder", "./data")
    s = settings_or_fail(command, data_dir=data_dir)
    folder_or_fail(command, s.data_dir, data_given)
    if not s.bi_path.is_file():
        fail(command, f"{s.bi_path}: no such file; run `finsam refresh` first, or give the data folder with --data-dir")
    try:
        path = export_one(s.bi_path, s.exports_dir / "uppfoljning_finsam", forbund, ar)
    except ValueError as exc:  # an unknown förbund or a year that is not complete
        fail(command, str(exc))
    except duckdb.Error as exc:  # a bi.duckdb published before the mart existed, or no DuckDB file
        fail(command, f"{s.bi_path}: cannot be read: {' '.join(str(exc).split())}")
    typer.echo(str(path))


def check_something_to_load(s: settings_module.Settings) -> None:
    """An empty landing folder is an error only when nothing was ever loaded: raw keeps every
    export, so a refresh without new files still rebuilds the marts (as_of moves)."""
    from pipelines.ingest.discovery import export_names
    from pipelines.sources.spec import load_specs

    if export_names(s.landing_dir, load_specs()):
        return
    loaded = _loaded_file_count(s.warehouse_path)
    if loaded == 0:
        fail(
            "refresh",
            f"nothing to load: the landing folder {s.landing_dir} holds no export (a .csv, .txt or "
            ".xlsx file named after its kind, e.g. budget_2026-11-02.csv; the kinds are in pipelines/sources/)",
        )
    if loaded is not None:
        typer.echo(
            f"finsam refresh: the landing folder {s.landing_dir} holds no export; refreshing from the {loaded} files loaded before"
        )


def _loaded_file_count(warehouse: Path) -> int | None:
    """Files the warehouse has loaded; None when it cannot tell (e.g. a refresh holds it open)."""
    if not warehouse.exists():
        return 0
    import duckdb

    from pipelines.ingest.load import has_ledger

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if not has_ledger(con):
                return 0
            return con.execute("select count(*) from raw._file_ledger where status = 'loaded'").fetchone()[0]
    except duckdb.Error:
        return None


def main(argv: list[str] | None = None) -> int:
    """The console script. Usage errors (unknown option, missing or malformed value) become
    one line and exit code 1, like every other bad input."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = app(args=args or ["--help"], prog_name="finsam", standalone_mode=False)
    except typer.TyperException as exc:
        ctx = getattr(exc, "ctx", None)
        # The parser raises some errors (an option without its value) before it has a context.
        command = args[0] if args and args[0] in typer.main.get_command(app).commands else None
        where = ctx.command_path if ctx else f"finsam {command}" if command else "finsam"
        typer.echo(f"{where}: error: {exc.format_message()}", err=True)
        return EXIT_FAILED
    except typer.Abort:
        typer.echo("finsam: aborted", err=True)
        return EXIT_FAILED
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
