"""Every way `finsam` can be given bad input ends in one line `finsam <command>: error: …` that
names the flag or path and the form expected, and exit code 1 (3 for a held lock): no
traceback, nothing done. Most cases call the console script's `main` in process; two run the
installed script as a user does."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main

FINSAM = str(Path(sys.executable).with_name("finsam"))
BI_BYTES = b"yesterday's bi.duckdb, which a failed refresh must leave as it is"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No FINSAM_/DAGSTER_ setting of the developer's; whatever the CLI pins is undone after."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("FINSAM_", "DAGSTER_")):
            del os.environ[name]
    os.environ["FINSAM_PSEUDONYM_KEY"] = "test-key"  # no demo-key warning on stderr
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error(code: int, out: str, err: str, command: str, expected: str, exit_code: int = 1) -> None:
    assert code == exit_code, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith(f"finsam {command}: error: "), lines[0]
    assert expected in lines[0], lines[0]


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """A data dir with one export in its landing folder and yesterday's bi.duckdb."""
    data = tmp_path / "data"
    (data / "landing").mkdir(parents=True)
    (data / "landing" / "budget_2026-11-02.csv").write_text("År;Förbund\n", encoding="utf-8")
    (data / "bi.duckdb").write_bytes(BI_BYTES)
    return data


def assert_nothing_done(data: Path) -> None:
    assert (data / "bi.duckdb").read_bytes() == BI_BYTES
    assert not (data / "warehouse.duckdb").exists()
    assert not (data / "dagster_home").exists()


# --- refresh ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2022-13-01", "2022-02-30", "20221231", "2022-W05-1", "31/12/2022", "today"])
def test_refresh_bad_as_of(capsys, data_dir, value):
    result = run(capsys, "refresh", "--data-dir", str(data_dir), "--as-of", value)
    assert_one_error(*result, "refresh", f"--as-of must be a date YYYY-MM-DD, e.g. 2026-10-31, not {value!r}")
    assert_nothing_done(data_dir)


def test_refresh_bad_as_of_in_the_environment(capsys, data_dir):
    os.environ["FINSAM_AS_OF"] = "2022-1-1"
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(*result, "refresh", "FINSAM_AS_OF must be a date YYYY-MM-DD, e.g. 2026-10-31, not '2022-1-1'")


def test_refresh_bad_lock_timeout(capsys, data_dir):
    os.environ["FINSAM_LOCK_TIMEOUT"] = "ten"
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(*result, "refresh", "FINSAM_LOCK_TIMEOUT must be a number of seconds, not 'ten'")


def test_refresh_bad_postgres_url_names_the_variable_never_the_password(capsys, data_dir):
    os.environ["FINSAM_POSTGRES_URL"] = "postgresql://finsam:hemligt@db:5432/finsam?sslmode=kanske&nonsense=1"
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(*result, "refresh", "FINSAM_POSTGRES_URL must be a PostgreSQL connection URL")
    assert "hemligt" not in result[2]
    assert_nothing_done(data_dir)


def test_refresh_unreadable_key_file(capsys, data_dir, tmp_path):
    del os.environ["FINSAM_PSEUDONYM_KEY"]
    os.environ["FINSAM_PSEUDONYM_KEY_FILE"] = str(tmp_path / "no.key")
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(
        *result, "refresh", f"FINSAM_PSEUDONYM_KEY_FILE: cannot read {tmp_path / 'no.key'} (No such file or directory)"
    )


def test_refresh_empty_key_file(capsys, data_dir, tmp_path):
    del os.environ["FINSAM_PSEUDONYM_KEY"]
    (tmp_path / "empty.key").write_text("\n")
    os.environ["FINSAM_PSEUDONYM_KEY_FILE"] = str(tmp_path / "empty.key")
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(*result, "refresh", f"FINSAM_PSEUDONYM_KEY_FILE: {tmp_path / 'empty.key'} is empty")


def test_refresh_missing_data_dir(capsys, tmp_path):
    result = run(capsys, "refresh", "--data-dir", str(tmp_path / "dtaa"))
    assert_one_error(*result, "refresh", f"--data-dir {tmp_path / 'dtaa'}: no such folder")
    assert not (tmp_path / "dtaa").exists()


def test_refresh_missing_data_dir_from_the_environment(capsys, tmp_path):
    os.environ["FINSAM_DATA_DIR"] = str(tmp_path / "dtaa")
    result = run(capsys, "refresh")
    assert_one_error(*result, "refresh", f"FINSAM_DATA_DIR {tmp_path / 'dtaa'}: no such folder")


def test_refresh_missing_default_data_dir(capsys, tmp_path):
    result = run(capsys, "refresh")  # in tmp_path, which has no ./data
    assert_one_error(
        *result, "refresh",
        f"data folder {tmp_path / 'data'}: no such folder (the default, ./data; choose another with --data-dir or FINSAM_DATA_DIR)",
    )  # fmt: skip


def test_refresh_data_dir_is_a_file(capsys, data_dir):
    result = run(capsys, "refresh", "--data-dir", str(data_dir / "bi.duckdb"))
    assert_one_error(*result, "refresh", f"--data-dir {data_dir / 'bi.duckdb'}: not a folder")


def test_refresh_missing_landing_publishes_nothing(capsys, data_dir, tmp_path):
    result = run(capsys, "refresh", "--data-dir", str(data_dir), "--landing", str(tmp_path / "landnig"))
    assert_one_error(*result, "refresh", f"--landing {tmp_path / 'landnig'}: no such folder")
    assert_nothing_done(data_dir)


def test_refresh_missing_default_landing_publishes_nothing(capsys, data_dir):
    (data_dir / "landing" / "budget_2026-11-02.csv").unlink()
    (data_dir / "landing").rmdir()
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(
        *result, "refresh",
        f"landing folder {data_dir / 'landing'}: no such folder (the default, <data dir>/landing; "
        "choose another with --landing or FINSAM_LANDING_DIR)",
    )  # fmt: skip
    assert_nothing_done(data_dir)


def test_refresh_empty_landing_says_there_is_nothing_to_load(capsys, data_dir):
    (data_dir / "landing" / "budget_2026-11-02.csv").rename(data_dir / "landing" / "budget.pdf")
    (data_dir / "landing" / "notes.csv").write_text("not an export: no kind is called notes\n")
    result = run(capsys, "refresh", "--data-dir", str(data_dir))
    assert_one_error(*result, "refresh", f"nothing to load: the landing folder {data_dir / 'landing'} holds no export")
    assert_nothing_done(data_dir)


def test_empty_landing_after_loads_rebuilds_from_raw(capsys, data_dir):
    """Raw keeps every export: with files loaded before, an empty landing folder is no error."""
    from pipelines.cli import check_something_to_load
    from pipelines.ingest.load import LEDGER_TABLE, ensure_ledger
    from pipelines.settings import get_settings

    (data_dir / "landing" / "budget_2026-11-02.csv").unlink()
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        ensure_ledger(con)
        con.execute(
            f"insert into {LEDGER_TABLE} (sha256, kind, file_name, status, loaded_at) values (?, 'budget', ?, 'loaded', now())",
            ["ab" * 32, "budget_2026-11-02.csv"],
        )
    os.environ["FINSAM_DATA_DIR"] = str(data_dir)
    check_something_to_load(get_settings())  # no error
    assert capsys.readouterr().out.strip() == (
        f"finsam refresh: the landing folder {data_dir / 'landing'} holds no export; refreshing from the 1 files loaded before"
    )


def test_refresh_while_another_holds_the_lock(capsys, data_dir):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         ("import sys, time; from pathlib import Path; from pipelines.ops.lock import RefreshLock, lock_path; "
         "RefreshLock(lock_path(Path(sys.argv[1]))).acquire(0); print('held', flush=True); time.sleep(120)"),
         str(data_dir)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run(capsys, "refresh", "--data-dir", str(data_dir), "--as-of", "2026-10-31")
        assert_one_error(*result, "refresh", f"another refresh is running (pid {holder.pid} ", exit_code=3)
    finally:
        holder.kill()
        holder.wait()
    assert (data_dir / "bi.duckdb").read_bytes() == BI_BYTES
    assert not (data_dir / "warehouse.duckdb").exists()


def test_refresh_while_another_program_holds_the_warehouse(capsys, data_dir):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)",
         str(data_dir / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run(capsys, "refresh", "--data-dir", str(data_dir), "--as-of", "2026-10-31")
        assert_one_error(
            *result,
            "refresh",
            f"{data_dir / 'warehouse.duckdb'} cannot be opened (IO Error: Could not set lock on file",
        )
        assert result[2].rstrip().endswith("close it and try again")
    finally:
        holder.kill()
        holder.wait()
    assert (data_dir / "bi.duckdb").read_bytes() == BI_BYTES


def test_refresh_unknown_option(capsys):
    assert_one_error(*run(capsys, "refresh", "--landnig", "x"), "refresh", "No such option: --landnig")


def test_refresh_option_without_its_value(capsys):
    assert_one_error(*run(capsys, "refresh", "--as-of"), "refresh", "Option '--as-of' requires an argument.")


# --- report ----------------------------------------------------------------------------------


@pytest.fixture()
def bi_data_dir(tmp_path) -> Path:
    """A data dir whose bi.duckdb has the two dimensions the report looks values up in."""
    data = tmp_path / "bi_data"
    data.mkdir()
    with duckdb.connect(str(data / "bi.duckdb")) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_insats (forbund varchar, insats_id varchar)")
        con.execute("insert into marts.dim_insats values ('Samordningsförbundet Västerås', 'SOT-VAS')")
        con.execute(
            "create table marts.dim_period (period_typ varchar, period_id varchar, period_start date, period_slut date, "
            "period_slut_as_of date, is_complete boolean, as_of date)"
        )
        con.execute(
            "insert into marts.dim_period values ('halvar', '2022-H1', ?, ?, ?, true, ?)",
            [dt.date(2022, 1, 1), dt.date(2022, 6, 30), dt.date(2022, 6, 30), dt.date(2022, 6, 30)],
        )
    return data


@pytest.mark.parametrize("period", ["22H1", "2022-H3", "2022H1", "2022-Q5", "H1-2022", "2022-6"])
def test_report_malformed_period(capsys, bi_data_dir, period):
    result = run(capsys, "report", "--forbund", "X", "--period", period, "--data-dir", str(bi_data_dir))
    assert_one_error(
        *result,
        "report",
        f"--period must look like 2022-H1, 2022, 2022-Q2, 2022-06 or 2021-07--2022-06, not {period!r}",
    )


def test_report_unknown_period(capsys, bi_data_dir):
    result = run(
        capsys,
        "report",
        "--forbund",
        "Samordningsförbundet Västerås",
        "--period",
        "1999",
        "--data-dir",
        str(bi_data_dir),
    )
    assert_one_error(*result, "report", "--period: period '1999' is not in marts.dim_period")


def test_report_unknown_forbund(capsys, bi_data_dir):
    result = run(
        capsys,
        "report",
        "--forbund",
        "Samordningsförbundet Väster",
        "--period",
        "2022-H1",
        "--data-dir",
        str(bi_data_dir),
    )
    assert_one_error(
        *result, "report",
        "--forbund: förbund 'Samordningsförbundet Väster' is not in marts.dim_insats; known: ['Samordningsförbundet Västerås']",
    )  # fmt: skip


def test_report_unknown_insats(capsys, bi_data_dir):
    result = run(
        capsys, "report", "--forbund", "Samordningsförbundet Västerås", "--insats", "SOT-X", "--period", "2022-H1",
        "--data-dir", str(bi_data_dir),
    )  # fmt: skip
    assert_one_error(
        *result,
        "report",
        "--insats: insats 'SOT-X' is not registered for 'Samordningsförbundet Västerås'; known: ['SOT-VAS']",
    )


def test_report_without_bi_duckdb(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run(capsys, "report", "--forbund", "X", "--period", "2022-H1", "--data-dir", str(tmp_path / "empty"))
    assert_one_error(*result, "report", f"{tmp_path / 'empty' / 'bi.duckdb'}: no such file; run `finsam refresh` first")


def test_report_bi_duckdb_without_the_marts(capsys, tmp_path):
    (tmp_path / "d").mkdir()
    duckdb.connect(str(tmp_path / "d" / "bi.duckdb")).close()
    result = run(capsys, "report", "--forbund", "X", "--period", "2022-H1", "--data-dir", str(tmp_path / "d"))
    assert_one_error(*result, "report", f"{tmp_path / 'd' / 'bi.duckdb'}: marts.dim_insats is missing from bi.duckdb")


def test_report_bi_duckdb_that_is_no_database(capsys, data_dir):
    result = run(capsys, "report", "--forbund", "X", "--period", "2022-H1", "--data-dir", str(data_dir))
    assert_one_error(*result, "report", f"{data_dir / 'bi.duckdb'}: cannot be read: IO Error: The file")


def test_report_missing_data_dir(capsys, tmp_path):
    result = run(capsys, "report", "--forbund", "X", "--period", "2022-H1", "--data-dir", str(tmp_path / "nope"))
    assert_one_error(*result, "report", f"--data-dir {tmp_path / 'nope'}: no such folder")


def test_report_bad_suppression_threshold(capsys, bi_data_dir):
    os.environ["FINSAM_SUPPRESSION_THRESHOLD"] = "three"
    result = run(capsys, "report", "--forbund", "X", "--period", "2022-H1", "--data-dir", str(bi_data_dir))
    assert_one_error(*result, "report", "FINSAM_SUPPRESSION_THRESHOLD must be a whole number, e.g. 3, not 'three'")


def test_report_missing_required_option(capsys):
    assert_one_error(*run(capsys, "report", "--period", "2022-H1"), "report", "Missing option '--forbund'.")


# --- demo-data and the command itself ----------------------------------------------------------


@pytest.mark.parametrize("scale", ["0", "-1", "nan", "inf"])
def test_demo_data_scale_out_of_range(capsys, tmp_path, scale):
    result = run(capsys, "demo-data", "--out", str(tmp_path / "out"), "--scale", scale)
    assert_one_error(*result, "demo-data", "--scale must be a number above 0, e.g. 0.3 or 2, not ")
    assert not (tmp_path / "out").exists()


def test_demo_data_scale_not_a_number(capsys):
    assert_one_error(*run(capsys, "demo-data", "--scale", "lots"), "demo-data", "Invalid value for '--scale'")


def test_demo_data_seed_not_a_number(capsys):
    assert_one_error(*run(capsys, "demo-data", "--seed", "x"), "demo-data", "Invalid value for '--seed'")


def test_demo_data_out_is_a_file(capsys, tmp_path):
    (tmp_path / "f.csv").write_text("x")
    result = run(capsys, "demo-data", "--out", str(tmp_path / "f.csv"))
    assert_one_error(*result, "demo-data", f"--out {tmp_path / 'f.csv'}: not a folder")


def test_demo_data_out_cannot_be_written(capsys, tmp_path):
    (tmp_path / "f.csv").write_text("x")
    result = run(capsys, "demo-data", "--out", str(tmp_path / "f.csv" / "landing"), "--scale", "0.01")
    assert_one_error(
        *result, "demo-data", f"--out {tmp_path / 'f.csv' / 'landing'}: cannot write there (Not a directory)"
    )


def test_unknown_command(capsys):
    code, out, err = run(capsys, "refesh")
    assert (code, out, err) == (1, "", "finsam: error: No such command 'refesh'. Did you mean 'refresh'?\n")


def test_no_arguments_prints_the_help(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert "refresh" in out and "report" in out and "demo-data" in out


# --- the installed script, as a user runs it -------------------------------------------------


def _script(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINSAM_", "DAGSTER_"))}
    return subprocess.run([FINSAM, *argv], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_script_bad_as_of_is_one_line(data_dir):
    done = _script("refresh", "--data-dir", str(data_dir), "--as-of", "2022-13-01", cwd=data_dir)
    assert done.returncode == 1
    assert done.stdout == ""
    assert (
        done.stderr == "finsam refresh: error: --as-of must be a date YYYY-MM-DD, e.g. 2026-10-31, not '2022-13-01'\n"
    )
    assert_nothing_done(data_dir)


def test_script_usage_error_is_one_line_and_not_exit_2(tmp_path):
    """Click exits 2 on a usage error; 2 here means "published with quarantined files"."""
    done = _script("report", "--period", "2022-H1", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "finsam report: error: Missing option '--forbund'.\n")


def test_export_without_bi_duckdb(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run(
        capsys, "export", "uppfoljning-finsam", "--forbund", "X", "--ar", "2025", "--data-dir", str(tmp_path / "empty")
    )
    assert_one_error(
        *result,
        "export uppfoljning-finsam",
        f"{tmp_path / 'empty' / 'bi.duckdb'}: no such file; run `finsam refresh` first",
    )


def test_export_missing_data_dir(capsys, tmp_path):
    result = run(
        capsys, "export", "uppfoljning-finsam", "--forbund", "X", "--ar", "2025", "--data-dir", str(tmp_path / "nope")
    )
    assert_one_error(*result, "export uppfoljning-finsam", f"--data-dir {tmp_path / 'nope'}: no such folder")


def test_export_bi_duckdb_without_the_mart(capsys, bi_data_dir):
    result = run(
        capsys, "export", "uppfoljning-finsam", "--forbund", "X", "--ar", "2025", "--data-dir", str(bi_data_dir)
    )
    assert_one_error(
        *result, "export uppfoljning-finsam", f"{bi_data_dir / 'bi.duckdb'}: cannot be read: Catalog Error"
    )
