"""Benchmark the refresh at national scale against the hand-written DuckDB baseline.

    .venv/bin/python bench/run.py --scale 1

`--scale` is the multiplier of national size (national = `finsam demo-data --scale 300`); the
run measures 0.25x and 1x of it, on one machine, in one go. Per size:

1. data: bench/data/<demo scale>/landing, written once by `finsam demo-data` and reused;
2. full refresh on a fresh data dir (bench/data/<demo scale>/run, wiped first), in a
   subprocess (bench/refresh.py = pipelines.run.run_refresh), under /usr/bin/time -v; peak RSS of
   the process tree sampled from /proc every 0.2 s, and the largest single process from time -v;
   Dagster step timings from the run's event log, dbt node timings from run_results.json;
3. refresh with unchanged inputs (the same command on the same data dir);
4. the baseline (bench/baseline.py) in its own subprocess, same measurements;
5. equality of every mart (all 17; KEYS below): full outer join on the key,
   numeric tolerance 1e-9 (relative above 1, absolute below);
6. p50/p95 of five dashboard queries on bi.duckdb (read-only connection, 50 repetitions each,
   after one unmeasured warm-up run);
   PostgreSQL: on a throwaway local server (pipelines/ops/pg_cluster.py) the publish of every
   mart (COPY, keys, indexes, roles, policies, swap) and the same five queries as a login
   granted finsam_alla (docs/postgresql.md); skipped, and said so, without the server binaries;
7. reports: the full refresh runs exactly as `finsam refresh`, so its report step renders
   every report the refresh writes (all of them, timed, nothing extrapolated): the step's wall
   time from the event log, the number of reports written, the median / p95 / max time per
   report from the step's log line, and the peak RSS of the process tree (report workers
   included) while the step ran. `--reports none` keeps the step in the job but renders nothing (quicker, for
   measuring the rest).
8. the nightly case (last, since it moves the data dir one night on): `as_of` one day later and
   one förbund's SUS export replaced by a changed copy in the landing folder the earlier
   refreshes read (`change_one_export`; the folder stays in place between the refreshes, as a
   real installation's does), refreshed on the full refresh's data dir and timed; then a full rebuild of the same inputs on a fresh data
   dir, and every mart of the two compared with EXCEPT ALL both ways;
9. what the full refresh checked (`checks_ran`: dbt tests, GX suites and expectations,
   cross-file rules) and, at the smallest size, the fixed cost of a refresh (`fixed_cost`).

Prints a table with the ratios against the targets and writes bench/results/<date>-<host>.json.

It is one module because the benchmark is one script run by hand whose steps all feed the
same measurements and the one result file it writes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from pipelines.asset_keys import DOCS_KEY, REPORT_KEY

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PY = sys.executable
SRC = ROOT  # the tree that is measured: ROOT, or a snapshot of it (--tree snapshot)
SNAPSHOT_ITEMS = ("pipelines", "dbt_project", "expectations", "pyproject.toml", "dagster.yaml", "workspace.yaml")
SNAPSHOT_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "target", "logs", "dbt_packages", "uncommitted", ".user.yml"
)
NATIONAL_DEMO_SCALE = 300
GIB = 1 << 30

TARGETS = {
    "full_refresh_vs_baseline": 1.5,  # x baseline (the refresh without its report step)
    "full_refresh_wall_s_at_1x": 120.0,  # without the report step
    "reports_wall_s_at_1x": 120.0,  # every report the refresh writes
    "full_refresh_incl_reports_wall_s_at_1x": 240.0,
    "unchanged_refresh_wall_s": 10.0,
    "peak_rss_gib": 4.0,
    "dashboard_p95_ms": 50.0,
    "nightly_refresh_wall_s": 60.0,
    "postgres_load_s_at_1x": 60.0,
    "postgres_dashboard_p95_ms": 50.0,
}

KEYS = {
    "dim_period": ["period_typ", "period_id"],
    "dim_insats": ["forbund", "insats_id"],
    "genomflode": ["forbund", "insats_id", "period_typ", "period_id", "kon"],
    "resultat": ["forbund", "insats_id", "period_typ", "period_id", "kon"],
    "forsorjning": ["forbund", "insats_id", "period_typ", "period_id", "forsorjningskalla", "kon"],
    "fordelning": ["forbund", "insats_id", "period_typ", "period_id", "dimension", "kategori", "kon"],
    "dim_kategori": ["dimension", "kategori"],
    "ekonomi": ["forbund", "insats_id", "period_typ", "period_id", "kostnadsslag"],
    "enhetskostnad": ["forbund", "insats_id", "period_typ", "period_id"],
    "samhallsekonomi": ["forbund", "insats_id", "period_typ", "period_id"],
    "aktivitet": ["forbund", "insats_id", "period_typ", "period_id", "aktivitet", "kon"],
    "finansiering": ["forbund", "ar", "finansiar"],
    "datakvalitet": ["forbund", "insats_id", "period_typ", "period_id"],
    "stegforflyttning": ["forbund", "insats_id", "period_typ", "period_id", "steg_start", "steg_slut", "kon"],
    "forsorjning_overgang": [
        "forbund",
        "insats_id",
        "period_typ",
        "period_id",
        "utfall",
        "forsorjning_fore",
        "forsorjning_efter",
        "kon",
    ],
    "uppfoljning_finsam": ["forbund", "insats_id", "period_typ", "period_id"],
    "jamforelse": ["forbund", "period_typ", "period_id", "matt"],
}


# ---------------------------------------------------------------------------------------------
# machine and processes


def machine() -> dict:
    info = {"host": socket.gethostname(), "nproc": os.cpu_count(), "python": platform.python_version()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpu, re.M)
        info["cpu"] = m.group(1).strip() if m else platform.processor()
        mem = Path("/proc/meminfo").read_text()
        info["mem_gib"] = round(int(re.search(r"MemTotal:\s+(\d+)", mem).group(1)) / (1 << 20), 1)
    except OSError:
        pass
    try:
        import duckdb

        info["duckdb"] = duckdb.__version__
    except ImportError:
        pass
    info["loadavg_at_start"] = os.getloadavg()
    return info


def _env(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    if SRC != ROOT:
        env["PYTHONPATH"] = str(SRC)  # wins over the editable install's finder
    return env


def snapshot_tree(head: bool = False) -> dict:
    """Copy the code (not data) to bench/data/_tree so that edits others make to the working
    tree during a long run cannot change what is measured half-way; parse dbt there once
    (a deployed project has its manifest), untimed."""
    global SRC
    dest = DATA / "_tree"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if head:  # the committed tree, when the working tree is mid-edit
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for item in () if head else SNAPSHOT_ITEMS:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=SNAPSHOT_IGNORE)
        elif src.exists():
            shutil.copy2(src, dest / item)
    SRC = dest
    t = time.perf_counter()
    r = subprocess.run([PY, "-c", "import pipelines.definitions"], cwd=SRC, env=_env(), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"the snapshot of the tree does not import:\n{r.stderr[-2000:]}")
    res = {
        "path": str(dest.relative_to(ROOT)),
        "of": "HEAD" if head else "working tree",
        "taken": dt.datetime.now().isoformat(timespec="seconds"),
        "git_at_snapshot": git_state(),
        "import_and_dbt_parse_s": round(time.perf_counter() - t, 1),
    }
    (dest / ".snapshot.json").write_text(json.dumps(res))
    return res


def git_state() -> dict:
    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True)
        return r.stdout.strip()

    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "uncommitted_paths": len(git("status", "--short").splitlines()),
    }


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            rss[int(d)] = int(Path(f"/proc/{d}/statm").read_text().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def timed_run(cmd: list[str], log: Path, env: dict | None = None) -> dict:
    """Run `cmd` under /usr/bin/time -v; wall, exit code, peak RSS (tree, sampled; largest
    single process from time -v), output to `log`."""
    use_time = Path("/usr/bin/time").exists()
    timefile = log.with_suffix(".time")
    full = (["/usr/bin/time", "-v", "-o", str(timefile)] if use_time else []) + cmd
    peak = [0]
    samples: list[tuple[float, int]] = []  # (epoch seconds, bytes) of the tree
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, cwd=SRC, env=_env(env))
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                rss = _tree_rss(proc.pid)
                samples.append((time.time(), rss))
                peak[0] = max(peak[0], rss)
                done.wait(0.2)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        th.join()
    res = {
        "wall_s": round(wall, 2),
        "exit_code": rc,
        "peak_rss_tree_gib": round(peak[0] / GIB, 3),
        "log": str(log.relative_to(ROOT)),
        "_rss_samples": samples,
    }
    if use_time and timefile.exists():
        t = timefile.read_text()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
        if m:
            res["max_rss_single_process_gib"] = round(int(m.group(1)) * 1024 / GIB, 3)
        m = re.search(r"User time \(seconds\): ([\d.]+)", t)
        s = re.search(r"System time \(seconds\): ([\d.]+)", t)
        if m and s:
            res["cpu_s"] = round(float(m.group(1)) + float(s.group(1)), 1)
    if not use_time:
        import resource

        res["max_rss_single_process_gib"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / GIB, 3
        )
    return res


# ---------------------------------------------------------------------------------------------
# data


def scale_name(demo_scale: float) -> str:
    return f"{demo_scale:g}"


def ensure_data(demo_scale: float) -> Path:
    landing = DATA / scale_name(demo_scale) / "landing"
    marker = landing / ".bench-complete"
    if marker.exists():
        expected = int(marker.read_text().split("files=")[1].split()[0]) if "files=" in marker.read_text() else None
        if expected is None or landing_stats(landing)["files"] == expected:
            return landing
        print(f"  {landing} is incomplete: writing it again", flush=True)
    if landing.exists():
        shutil.rmtree(landing)
    print(f"  writing demo data at demo scale {demo_scale:g} to {landing} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run(
        [str(Path(PY).with_name("finsam")), "demo-data", "--out", str(landing), "--scale", f"{demo_scale:g}"],
        check=True,
        cwd=SRC,
        env=_env(),
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(
        f"demo-data --scale {demo_scale:g} in {time.perf_counter() - t0:.1f} s files={landing_stats(landing)['files']}\n"
    )
    return landing


def landing_stats(landing: Path) -> dict:
    files = [f for f in landing.iterdir() if f.is_file() and not f.name.startswith(".")]
    return {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}


def hash_landing(landing: Path) -> float:
    """Seconds to SHA-256 every landing file (1 MiB chunks, as ingest's discovery does): the
    least an unchanged-input refresh must spend to know that nothing changed."""
    import hashlib

    t = time.perf_counter()
    for f in sorted(landing.iterdir()):
        if f.is_file() and not f.name.startswith("."):
            h = hashlib.sha256()
            with f.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
    return round(time.perf_counter() - t, 2)


# ---------------------------------------------------------------------------------------------
# refresh diagnostics


def step_timings(dagster_home: Path, run_id: str) -> dict[str, float]:
    """Seconds per Dagster step (STEP_START .. STEP_SUCCESS/FAILURE) from the run's event log."""
    if not run_id:
        return {}
    code = f"""
import json
from dagster import DagsterInstance, DagsterEventType
from dagster._core.instance.ref import InstanceRef
inst = DagsterInstance.from_ref(InstanceRef.from_dir({str(dagster_home)!r}))
start, out, window = {{}}, {{}}, {{}}
for e in inst.all_logs({run_id!r}):
    d = e.dagster_event
    if d is None or not e.step_key:
        continue
    if d.event_type == DagsterEventType.STEP_START:
        start[e.step_key] = e.timestamp
    elif d.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) and e.step_key in start:
        out[e.step_key] = round(e.timestamp - start[e.step_key], 2)
        window[e.step_key] = [start[e.step_key], e.timestamp]
out["_first_step_start"] = min(start.values()) if start else None
checks = {{}}
for e in inst.all_logs({run_id!r}, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
    name = e.dagster_event.event_specific_data.check_name
    checks[name] = checks.get(name, 0) + 1
out["_checks"] = checks
out["_windows"] = window
print(json.dumps(out))
inst.dispose()
"""
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    r = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=SRC, env=_env(env))
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"_error": r.stderr[-500:]}


def dbt_timings(since: float) -> dict:
    """Totals from the newest dbt run_results.json written after `since`."""
    found = [p for p in (SRC / "dbt_project" / "target").rglob("run_results.json") if p.stat().st_mtime >= since]
    if not found:
        return {}
    rr = json.loads(max(found, key=lambda p: p.stat().st_mtime).read_text())
    by_type: dict[str, list[float]] = {}
    nodes = []
    for r in rr.get("results", []):
        kind = r["unique_id"].split(".")[0]
        by_type.setdefault(kind, []).append(r.get("execution_time") or 0.0)
        nodes.append((r.get("execution_time") or 0.0, r["unique_id"]))
    nodes.sort(reverse=True)
    return {
        "elapsed_s": round(rr.get("elapsed_time", 0.0), 2),
        "nodes": len(nodes),
        "by_type": {
            k: {"n": len(v), "sum_s": round(sum(v), 2), "median_s": round(statistics.median(v), 3)}
            for k, v in by_type.items()
        },
        "slowest": [{"node": n, "s": round(t, 2)} for t, n in nodes[:12]],
    }


SLICE_SUFFIX = re.compile(r" förbund \d+__\d+$")


def checks_ran(check_evaluations: dict[str, int], validation_dir: Path, since: float) -> dict:
    """What a refresh checked, so that a faster refresh can show it checks no less: the
    cross-file rules and GX mart suites Dagster recorded as check evaluations; the expectations
    of every mart validation this refresh stored (a mart validated in förbund slices counts each
    expectation once); and on files, every expectation of its suite for each file validated
    (`index.jsonl`, a line per file, also when small files share one GX run: every expectation
    is evaluated on every row of each, pipelines/quality/files.py). The dbt tests are counted
    from dbt's run_results (`refresh`)."""
    rules = {p.stem for p in (SRC / "pipelines" / "quality" / "rules").glob("*.sql")}
    gx_checks = sum(n for name, n in check_evaluations.items() if name == "gx_suite")
    rule_checks = sum(n for name, n in check_evaluations.items() if name in rules)
    on_marts: dict[str, set] = {}
    results = validation_dir / "results"
    for f in results.rglob("*.json") if results.is_dir() else ():
        if f.stat().st_mtime < since:
            continue
        try:
            doc = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        rel = f.relative_to(results).parts  # <suite>/<subject>/<run stamp>/<file>
        if rel[0].startswith("raw_"):
            continue  # counted per file below
        # the slices of one mart ("<run> förbund 2__3", pipelines/quality/checks.py) are one subject
        subject = "/".join((rel[0], SLICE_SUFFIX.sub("", rel[1])))
        for r in doc.get("results", []):
            cfg = r.get("expectation_config", {})
            on_marts.setdefault(subject, set()).add(
                json.dumps([cfg.get("type"), cfg.get("kwargs")], sort_keys=True, default=str)
            )
    on_files = 0
    suite_sizes: dict[str, int] = {}
    index = validation_dir / "index.jsonl"
    for line in index.read_text(encoding="utf-8").splitlines() if index.exists() else ():
        row = json.loads(line)
        suite = row.get("suite", "")
        if not suite.startswith("raw_") or dt.datetime.fromisoformat(row["at"]).timestamp() < int(since):
            continue
        if suite not in suite_sizes:
            path = SRC / "expectations" / "expectations" / f"{suite}.json"
            suite_sizes[suite] = len(json.loads(path.read_text(encoding="utf-8"))["expectations"])
        on_files += suite_sizes[suite]
    on_marts_n = sum(len(v) for v in on_marts.values())
    return {
        "gx_suites_on_marts": gx_checks,
        "gx_expectations": on_marts_n + on_files,
        "gx_expectations_on_files": on_files,
        "gx_expectations_on_marts": on_marts_n,
        "cross_file_rules": rule_checks,
    }


def linked_landing(landing: Path, dest: Path) -> Path:
    """A landing folder of hard links to the data set's files: ingest may move a file it
    quarantines out of its landing folder, and that must never shrink the reusable data set.
    Same inodes, so the same bytes and modification times."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in landing.iterdir():
        if f.is_file() and not f.name.startswith("."):
            os.link(f, dest / f.name)
    return dest


def refresh(landing: Path, data_dir: Path, as_of: str, log: Path, reports: str, link: bool = True) -> dict:
    if link:  # else `landing` is already a folder of links made for this run
        landing = linked_landing(landing, data_dir.parent / "landing_run")
    cmd = [PY, str(BENCH / "refresh.py"), "--landing", str(landing), "--data-dir", str(data_dir), "--as-of", as_of]
    if reports != "full":
        cmd.append("--no-reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINSAM_") and k != "DAGSTER_HOME"}
    since = time.time()
    res = timed_run(cmd, log, env)
    samples = res.pop("_rss_samples")
    text = log.read_text(errors="replace")
    m = re.search(r"BENCH process_start=([\d.]+) imported=([\d.]+) finished=([\d.]+) run_id=(\S*)", text)
    res["published"] = res["exit_code"] in (0, 2)
    if m:
        p0, imp, _fin, run_id = float(m.group(1)), float(m.group(2)), float(m.group(3)), m.group(4)
        res["run_id"] = run_id
        steps = step_timings(data_dir / "dagster_home", run_id)
        first = steps.pop("_first_step_start", None)
        res["checks_ran"] = checks_ran(steps.pop("_checks", {}), data_dir / "validation", since)
        windows = steps.pop("_windows", {})
        res["import_s"] = round(imp - p0, 2)
        if first:
            res["startup_to_first_step_s"] = round(first - p0, 2)
        res["steps_s"] = steps
        res["steps_sum_s"] = round(sum(v for v in steps.values() if isinstance(v, (int, float))), 2)
        if REPORT_STEP in steps:  # not when nothing changed: then the refresh skips its reports
            res["reports"] = report_step(data_dir, text, steps, windows.get(REPORT_STEP), samples)
    res["dbt"] = dbt_timings(since)
    if "checks_ran" in res:
        res["checks_ran"]["dbt_tests"] = res["dbt"].get("by_type", {}).get("test", {}).get("n", 0)
    m = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", text)
    if m:
        res["dbt"]["pass_warn_error_skip"] = [int(x) for x in m.groups()]
    return res


# ---------------------------------------------------------------------------------------------
# the nightly case: as_of one day on, one förbund's SUS export replaced by a changed copy

NIGHTLY_ENDED_SHARE = 10  # every 10th ongoing episode of the changed export ends on the new as_of


def nightly_landing(landing: Path, dest: Path, new_as_of: str) -> dict:
    """A landing folder as a real night leaves it: the data set's files (hard links, `dest`)
    with one export changed by `change_one_export`."""
    linked_landing(landing, dest)
    return change_one_export(dest, new_as_of)


def change_one_export(folder: Path, new_as_of: str) -> dict:
    """What a real night does to a landing folder, in place: one förbund's CSV SUS export
    replaced by a copy one day newer, in which every NIGHTLY_ENDED_SHARE-th ongoing episode has
    ended on `new_as_of` (to work, försörjning after: none). Every key of the old export is still
    in the new one, so the newest-file rule gives the same rows whether the old file is still in
    raw (the nightly refresh) or was never loaded (the full rebuild it is compared with). The
    other files stay as they are, as in a real landing folder (ingest knows their bytes by their
    file status, pipelines/ingest/discovery.py: new links to them would change that status)."""
    import csv

    candidates = sorted(p for p in folder.glob("sus_deltagare_*.csv"))
    if not candidates:
        return {"_error": "no CSV SUS export to change"}
    old = candidates[len(candidates) // 2]  # a middle-sized förbund, the same one every run
    raw = old.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "cp1252"
    text = raw.decode(encoding)
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    ended, ongoing = 0, 0
    for row in body:
        if len(row) != len(header) or row[col["Slutdatum"]] or row[col["Startdatum"]] >= new_as_of:
            continue
        ongoing += 1
        if ongoing % NIGHTLY_ENDED_SHARE == 0:
            row[col["Slutdatum"]] = new_as_of
            row[col["Avslutsanledning"]] = "Utskrivning"
            row[col["Sysselsättning efter"]] = "Arbete"
            row[col["Försörjning efter"]] = "Ingen offentlig försörjning"
            ended += 1
    stamp = re.search(r"(\d{4}-\d{2}-\d{2})", old.name)
    new_date = (dt.date.fromisoformat(stamp.group(1)) + dt.timedelta(days=1)).isoformat()
    new = old.with_name(old.name.replace(stamp.group(1), new_date))
    with new.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator=newline).writerows([header, *body])
    old.unlink()  # the hard link only: the data set keeps its file
    return {"replaced": old.name, "by": new.name, "rows": len(body), "episodes_ended": ended}


def marts_identical(a: Path, b: Path) -> dict:
    """Every mart of two bi.duckdb files, full-table EXCEPT ALL both ways (exact, every column)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")

    def names(db: str) -> set[str]:
        sql = "select table_name from duckdb_tables() where database_name = ? and schema_name = 'marts'"
        return {r[0] for r in con.execute(sql, [db]).fetchall()}

    marts_a, marts_b = names("a"), names("b")
    out = {"only_in_nightly": sorted(marts_a - marts_b), "only_in_rebuild": sorted(marts_b - marts_a), "marts": {}}
    for m in sorted(marts_a & marts_b):
        ab = con.execute(
            f"select count(*) from (select * from a.marts.{m} except all select * from b.marts.{m})"
        ).fetchone()[0]
        ba = con.execute(
            f"select count(*) from (select * from b.marts.{m} except all select * from a.marts.{m})"
        ).fetchone()[0]
        out["marts"][m] = {"nightly_not_in_rebuild": ab, "rebuild_not_in_nightly": ba}
    con.close()
    out["identical"] = (
        not out["only_in_nightly"]
        and not out["only_in_rebuild"]
        and all(v["nightly_not_in_rebuild"] == 0 and v["rebuild_not_in_nightly"] == 0 for v in out["marts"].values())
    )
    return out


def nightly(landing_run: Path, run_dir: Path, work: Path, as_of: str, reports: str) -> dict:
    """After the full refresh in `run_dir` from `landing_run`: the next night's refresh there
    (as_of + 1 day, one SUS export in `landing_run` changed), timed; then a full rebuild of the
    same inputs on a fresh data dir, and every mart of the two compared."""
    new_as_of = (dt.date.fromisoformat(as_of) + dt.timedelta(days=1)).isoformat()
    night_landing = landing_run
    res = {"as_of": new_as_of, "change": change_one_export(night_landing, new_as_of)}
    res["refresh"] = refresh(
        night_landing, run_dir, new_as_of, work / "logs" / "refresh_nightly.log", reports, link=False
    )
    rebuild_dir = work / "run_rebuild"
    if rebuild_dir.exists():
        shutil.rmtree(rebuild_dir)
    # the rebuild only has to give the marts to compare with: no reports
    res["full_rebuild"] = refresh(
        night_landing, rebuild_dir, new_as_of, work / "logs" / "refresh_rebuild.log", "none", link=False
    )
    if (run_dir / "bi.duckdb").exists() and (rebuild_dir / "bi.duckdb").exists():
        res["equal_to_full_rebuild"] = marts_identical(run_dir / "bi.duckdb", rebuild_dir / "bi.duckdb")
    return res


# ---------------------------------------------------------------------------------------------
# reports


REPORT_STEP = REPORT_KEY.to_python_identifier()  # the step key Dagster gives the asset


def report_step(
    data_dir: Path, log_text: str, steps: dict, window: list | None, samples: list[tuple[float, int]]
) -> dict:
    """What the refresh's report step did: the reports it wrote (counted on disk), its wall
    time (event log), the times per report (its `reports rendered N in S s (per report median
    …)` log line) and the peak RSS of the process tree while it ran."""
    written = list((data_dir / "reports").rglob("*.html")) if (data_dir / "reports").exists() else []
    m = re.search(
        r"reports rendered (\d+) in ([\d.]+) s(?: \(per report median (\d+) ms, p95 (\d+) ms, max (\d+) ms: ([^)]*)\))?",
        log_text,
    )
    out = {
        "mode": "full (the refresh's own report step)",
        "reports_written": len(written),
        "step_s": steps.get(REPORT_STEP),
        "rendered_logged": int(m.group(1)) if m else None,
        "render_s_logged": float(m.group(2)) if m else None,
    }
    if m and m.group(3):
        out["per_report_ms"] = {
            "median": int(m.group(3)),
            "p95": int(m.group(4)),
            "max": int(m.group(5)),
            "slowest": m.group(6),
        }
    if window:
        inside = [rss for t, rss in samples if window[0] <= t <= window[1]]
        out["peak_rss_tree_gib_during_step"] = round(max(inside) / GIB, 3) if inside else None
    return out


# ---------------------------------------------------------------------------------------------
# equality


def compare(bi_path: Path, base_path: Path, tol: float = 1e-9) -> dict:
    """Per mart of KEYS: full outer join of bi.marts.<mart> and the baseline's main.<mart> on the
    key; every non-key column the baseline produces is compared (numbers with a relative
    tolerance, everything else exactly; a column the pipeline lacks counts as mismatched in every
    baseline row). A mart missing from the baseline, or a key column missing on either side, is
    not equal."""
    import duckdb

    def numeric(t: str) -> bool:
        t = t.upper()
        return (
            not t.endswith("]")
            and not t.startswith(("STRUCT", "MAP", "UNION", "INTERVAL"))
            and any(n in t for n in ("INT", "DOUBLE", "DECIMAL", "FLOAT", "REAL", "NUMERIC"))
        )

    con = duckdb.connect()
    con.execute(f"attach '{bi_path}' as bi (read_only)")
    con.execute(f"attach '{base_path}' as base (read_only)")
    tables = {
        (db, t)
        for db, t in con.execute(
            "select database_name, table_name from duckdb_tables() "
            "where (database_name = 'bi' and schema_name = 'marts') or (database_name = 'base' and schema_name = 'main')"
        ).fetchall()
    }
    out = {}
    for mart, keys in KEYS.items():
        rows_p = con.execute(f"select count(*) from bi.marts.{mart}").fetchone()[0] if ("bi", mart) in tables else 0
        rows_b = con.execute(f"select count(*) from base.main.{mart}").fetchone()[0] if ("base", mart) in tables else 0
        missing = [
            f"{side}.{mart}" for side, db in (("pipeline", "bi"), ("baseline", "base")) if (db, mart) not in tables
        ]
        if not missing:
            bcols = {r[0]: r[1] for r in con.execute(f"describe base.main.{mart}").fetchall()}
            pcols = {r[0]: r[1] for r in con.execute(f"describe bi.marts.{mart}").fetchall()}
            missing = [
                f"{side}.{mart}.{k}"
                for k in keys
                for side, cs in (("pipeline", pcols), ("baseline", bcols))
                if k not in cs
            ]
        if missing:
            out[mart] = {
                "rows_pipeline": rows_p,
                "rows_baseline": rows_b,
                "only_in_pipeline": None,
                "only_in_baseline": None,
                "columns_compared": 0,
                "mismatched_cells": {},
                "equal": False,
                "missing": missing,
            }
            continue
        cols = [c for c in bcols if c not in keys]
        on = " and ".join(f"p.{k} is not distinct from b.{k}" for k in keys)
        checks = []
        for c in cols:
            if c not in pcols:  # the pipeline lacks the column: every baseline row mismatches
                checks.append(f"count_if(b._b) as {c}")
            elif numeric(bcols[c]) and numeric(pcols[c]):
                checks.append(
                    f"count_if(not ((p.{c} is null and b.{c} is null) or abs(p.{c}::double - b.{c}::double) "
                    f"<= {tol} * greatest(1, abs(p.{c}::double), abs(b.{c}::double)))) as {c}"
                )
            elif bcols[c] == pcols[c]:
                checks.append(f"count_if(p.{c} is distinct from b.{c}) as {c}")
            else:
                checks.append(f"count_if(p.{c}::varchar is distinct from b.{c}::varchar) as {c}")
        q = f"""
            select count(*) as rows_joined, count_if(p._p is null) as only_in_baseline, count_if(b._b is null) as only_in_pipeline
                   {"".join(", " + c for c in checks)}
            from (select *, true as _p from bi.marts.{mart}) p
            full outer join (select *, true as _b from base.main.{mart}) b on {on}
        """
        row = con.execute(q).fetchone()
        names = [d[0] for d in con.description]
        res = dict(zip(names, row, strict=False))
        mismatched = {c: res[c] for c in cols if res[c]}
        out[mart] = {
            "rows_pipeline": rows_p,
            "rows_baseline": rows_b,
            "only_in_pipeline": res["only_in_pipeline"],
            "only_in_baseline": res["only_in_baseline"],
            "columns_compared": len(cols),
            "mismatched_cells": mismatched,
            "equal": res["only_in_pipeline"] == 0 and res["only_in_baseline"] == 0 and not mismatched,
        }
    con.close()
    return out


# ---------------------------------------------------------------------------------------------
# dashboard queries


def dashboard_params(con) -> dict:
    """The förbund with the most activity, the latest complete year and half-year (from bi.duckdb)."""
    forbund = con.execute(
        "select forbund from marts.genomflode group by forbund order by sum(aktiva) desc, forbund limit 1"
    ).fetchone()[0]
    year = con.execute(
        "select max(period_id) from marts.dim_period where period_typ = 'ar' and is_complete"
    ).fetchone()[0]
    halvar = con.execute(
        "select max(period_id) from marts.dim_period where period_typ = 'halvar' and is_complete"
    ).fetchone()[0]
    return {"forbund": forbund, "ar": year, "halvar": halvar}


def dashboard_queries(p: dict, postgres: bool = False) -> dict:
    """The five dashboard queries, in DuckDB's dialect or PostgreSQL's (placeholders, no GROUP BY
    ALL, and a ratio of sums in floating point rather than PostgreSQL's integer division)."""
    ph = "%s" if postgres else "?"
    fl = "::double precision" if postgres else ""
    return {
        "genomflode_forbund_per_manad": (
            (
                "select period_id, sum(inskrivna_vid_periodstart), sum(nyinskrivna), sum(avslutade), "
                "sum(inskrivna_vid_periodslut), sum(deltagardagar) from marts.genomflode "
                f"where forbund = {ph} and period_typ = 'manad' group by period_id order by period_id"
            ),
            [p["forbund"]],
        ),
        "resultat_per_insats_ar": (
            "select forbund, insats_id, sum(avslutade_till_resultat), sum(i_mal), "
            f"sum(i_mal){fl} / nullif(sum(avslutade_till_resultat), 0), sum(summa_manader_i_mal){fl} / nullif(sum(i_mal), 0) "
            f"from marts.resultat where period_typ = 'ar' and period_id = {ph} group by "
            + ("1, 2 order by 1, 2" if postgres else "all order by all"),
            [p["ar"]],
        ),
        "ekonomi_per_kostnadsslag_ar": (
            (
                f"select kostnadsslag, sum(budget), sum(ackumulerat), sum(aterstar), sum(ackumulerat){fl} / nullif(sum(budget), 0) "
                f"from marts.ekonomi where period_typ = 'ar' and period_id = {ph} group by kostnadsslag order by kostnadsslag"
            ),
            [p["ar"]],
        ),
        "fordelning_aldersgrupp_halvar": (
            # fordelning is sparse: the categories nobody has come from dim_kategori, as in BI
            "select k.kategori, kon.kon, coalesce(sum(f.antal), 0) from marts.dim_kategori k "
            "cross join (values ('Kvinna'), ('Man'), ('Okänt')) kon(kon) "
            "left join marts.fordelning f on f.dimension = k.dimension and f.kategori = k.kategori and f.kon = kon.kon "
            f"and f.period_typ = 'halvar' and f.period_id = {ph} "
            "where k.dimension = 'aldersgrupp' group by " + ("1, 2 order by 1, 2" if postgres else "all order by all"),
            [p["halvar"]],
        ),
        "aktivitet_per_aktivitet_ar": (
            (
                f"select aktivitet, sum(avslutade_aktiviteter), sum(fullfoljda), "
                f"sum(fullfoljda){fl} / nullif(sum(fullfoljda) + sum(avbrutna), 0), sum(narvarotimmar){fl} / nullif(sum(planerade_timmar), 0) "
                f"from marts.aktivitet where period_typ = 'ar' and period_id = {ph} group by aktivitet order by aktivitet"
            ),
            [p["ar"]],
        ),
    }


def time_queries(run, queries: dict, reps: int) -> dict:
    """p50/p95/max of each query over `reps` runs after one unmeasured warm-up; run(sql, params) -> rows."""
    out = {}
    for name, (sql, params) in queries.items():
        run(sql, params)  # warm-up, not measured
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            rows = run(sql, params)
            ts.append((time.perf_counter() - t) * 1000)
        ts.sort()
        out[name] = {
            "p50_ms": round(statistics.median(ts), 2),
            "p95_ms": round(ts[min(len(ts) - 1, math.ceil(0.95 * len(ts)) - 1)], 2),
            "max_ms": round(ts[-1], 2),
            "rows": len(rows),
        }
    return out


def dashboard(bi_path: Path, reps: int) -> dict:
    import duckdb

    con = duckdb.connect(str(bi_path), read_only=True)
    params = dashboard_params(con)
    out = {"params": params, "reps": reps}
    out.update(time_queries(lambda sql, p: con.execute(sql, p).fetchall(), dashboard_queries(params), reps))
    con.close()
    return out


# The bench server's default collation: a language collation, as a DBA's server has (its
# databases are made with en_US.UTF-8 or sv_SE.UTF-8, not C), through ICU, which PostgreSQL
# ships with whatever locales the machine has generated.
POSTGRES_ICU_LOCALE = "sv-SE"


def postgres_serving(bi_path: Path, reps: int) -> dict:
    """The PostgreSQL publish on a throwaway local server (pipelines/ops/pg_cluster.py, durable
    settings, Swedish default collation): the load of every mart (COPY, keys, indexes, policies,
    swap), then the dashboard queries as a login granted finsam_alla (row-level security
    applies, as for any reader)."""
    import duckdb
    import psycopg

    from pipelines.ops.pg_cluster import NoPostgres, throwaway_cluster
    from pipelines.publish.postgres import ALL_ROLE, publish_postgres

    with duckdb.connect(str(bi_path), read_only=True) as con:
        params = dashboard_params(con)
    try:
        cluster_cm = throwaway_cluster(durable=True, icu_locale=POSTGRES_ICU_LOCALE)
        cluster = cluster_cm.__enter__()
    except NoPostgres as exc:
        return {"skipped": str(exc)}
    try:
        url = cluster.create_writer()
        t = time.perf_counter()
        result = publish_postgres(bi_path, url)
        out = {
            "load_s": round(time.perf_counter() - t, 2),
            "copy_index_secure_s": result.load_s,
            "swap_s": result.swap_s,
            "rows": sum(result.tables.values()),
            "server": cluster.sql("show server_version")[0][0],
            "server_collation": f"ICU {POSTGRES_ICU_LOCALE}",
            "params": params,
            "reps": reps,
        }
        cluster.sql(f"create role bench_reader login in role {ALL_ROLE}")
        with psycopg.connect(cluster.url("bench_reader", "finsam"), autocommit=True) as con:
            out["dashboard"] = time_queries(
                lambda sql, p: con.execute(sql, p).fetchall(), dashboard_queries(params, postgres=True), reps
            )
        return out
    finally:
        cluster_cm.__exit__(None, None, None)


# ---------------------------------------------------------------------------------------------


def bench_one(mult: float, args) -> dict:
    demo_scale = round(NATIONAL_DEMO_SCALE * mult, 6)
    name = scale_name(demo_scale)
    print(f"\n== {mult:g}x national (demo scale {name})", flush=True)
    t = time.perf_counter()
    landing = ensure_data(demo_scale)
    res: dict = {"national_multiplier": mult, "demo_scale": demo_scale, "landing": landing_stats(landing)}
    res["landing"]["generate_s_this_run"] = round(time.perf_counter() - t, 1)
    res["landing"]["sha256_all_files_s"] = hash_landing(landing)
    work = DATA / name
    run_dir = work / "run"
    logs = work / "logs"
    if run_dir.exists():
        shutil.rmtree(run_dir)

    # One landing folder for the refreshes of this data dir, kept from one to the next as a real
    # installation keeps its own: hard links, so that the data set never shrinks.
    landing_run = linked_landing(landing, work / "landing_run")
    print("  full refresh (fresh data dir) ...", flush=True)
    res["full_refresh"] = refresh(landing_run, run_dir, args.as_of, logs / "refresh_full.log", args.reports, link=False)
    print(f"    {res['full_refresh']['wall_s']} s, exit {res['full_refresh']['exit_code']}", flush=True)
    rep = res["full_refresh"].get("reports")
    if rep:
        per = rep.get("per_report_ms", {})
        print(
            f"    reports rendered {rep['reports_written']} in {rep['step_s']} s (report step; per report median "
            f"{per.get('median')} ms, p95 {per.get('p95')} ms, max {per.get('max')} ms; peak RSS of the tree during "
            f"the step {rep.get('peak_rss_tree_gib_during_step')} GiB)",
            flush=True,
        )
    print("  refresh with unchanged inputs ...", flush=True)
    res["unchanged_refresh"] = refresh(
        landing_run, run_dir, args.as_of, logs / "refresh_unchanged.log", args.reports, link=False
    )
    print(f"    {res['unchanged_refresh']['wall_s']} s, exit {res['unchanged_refresh']['exit_code']}", flush=True)

    print("  baseline ...", flush=True)
    base_db = work / "baseline.duckdb"
    blog = logs / "baseline.log"
    res["baseline"] = timed_run(
        [PY, str(BENCH / "baseline.py"), "--landing", str(landing), "--as-of", args.as_of, "--out", str(base_db)], blog
    )
    with contextlib.suppress(IndexError, json.JSONDecodeError):
        res["baseline"].update(json.loads(blog.read_text().strip().splitlines()[-1]))
    print(f"    {res['baseline']['wall_s']} s", flush=True)

    bi = run_dir / "bi.duckdb"
    if bi.exists() and res["baseline"]["exit_code"] == 0:
        print("  equality of the covered marts ...", flush=True)
        res["equality"] = compare(bi, base_db)
        print("  dashboard queries ...", flush=True)
        res["dashboard"] = dashboard(bi, args.reps)
    if bi.exists() and args.postgres:
        print("  PostgreSQL: load of the marts, dashboard queries ...", flush=True)
        try:
            res["postgres"] = postgres_serving(bi, args.reps)
        except Exception as exc:  # noqa: BLE001 - a failed measurement is recorded; the others go on
            res["postgres"] = {"error": f"{type(exc).__name__}: {exc}"}
        print(
            f"    {res['postgres'].get('load_s', res['postgres'].get('skipped', res['postgres'].get('error')))}",
            flush=True,
        )
    rep = res["full_refresh"].get("reports")
    if rep:
        res["reports"] = rep
    # last: it moves run_dir's marts one night on
    print("  the nightly case: as_of + 1 day, one SUS export changed ...", flush=True)
    res["nightly"] = nightly(landing_run, run_dir, work, args.as_of, args.reports)
    print(
        f"    {res['nightly']['refresh']['wall_s']} s, exit {res['nightly']['refresh']['exit_code']}; "
        f"identical to a full rebuild: {res['nightly'].get('equal_to_full_rebuild', {}).get('identical')}",
        flush=True,
    )
    return res


def without_reports(r: dict) -> float:
    """The full refresh's wall time without its report step (0 s when it rendered nothing)."""
    return round(r["full_refresh"]["wall_s"] - ((r.get("reports") or {}).get("step_s") or 0), 2)


def summarise(results: list[dict]) -> dict:
    """Ratios and target verdicts (the largest size is 'the 1x' for the absolute targets)."""
    big = results[-1]
    rows = []

    def add(name, value, target, ok, unit=""):
        rows.append(
            {
                "measure": name,
                "value": value,
                "target": target,
                "unit": unit,
                "ratio_to_target": None if value is None or not target else round(value / target, 2),
                "holds": ok,
            }
        )

    for r in results:
        tag = f"{r['national_multiplier']:g}x"
        full = without_reports(r)
        base = r["baseline"]["wall_s"]
        add(
            f"full refresh excl. report step / baseline ({tag})",
            round(full / base, 2),
            TARGETS["full_refresh_vs_baseline"],
            full / base <= TARGETS["full_refresh_vs_baseline"],
            "x",
        )
        u = r["unchanged_refresh"]["wall_s"]
        add(
            f"unchanged-input refresh ({tag})",
            u,
            TARGETS["unchanged_refresh_wall_s"],
            u <= TARGETS["unchanged_refresh_wall_s"],
            "s",
        )
        peak = max(r["full_refresh"]["peak_rss_tree_gib"], r["unchanged_refresh"]["peak_rss_tree_gib"])
        add(
            f"peak RSS, refresh process tree ({tag})",
            peak,
            TARGETS["peak_rss_gib"],
            peak <= TARGETS["peak_rss_gib"],
            "GiB",
        )
        if "dashboard" in r:
            p95 = max(v["p95_ms"] for k, v in r["dashboard"].items() if isinstance(v, dict) and "p95_ms" in v)
            add(
                f"dashboard queries, worst p95 ({tag})",
                p95,
                TARGETS["dashboard_p95_ms"],
                p95 <= TARGETS["dashboard_p95_ms"],
                "ms",
            )
        pg = r.get("postgres") or {}
        if "load_s" in pg:
            p95 = max(v["p95_ms"] for v in pg["dashboard"].values())
            add(
                f"PostgreSQL dashboard queries, worst p95 ({tag})",
                p95,
                TARGETS["postgres_dashboard_p95_ms"],
                p95 <= TARGETS["postgres_dashboard_p95_ms"],
                "ms",
            )
        if "equality" in r:
            eq = all(v["equal"] for v in r["equality"].values())
            add(f"baseline == pipeline marts ({tag})", eq, True, eq)
    tag = f"{big['national_multiplier']:g}x"
    full = without_reports(big)
    add(
        f"full refresh wall excl. report step ({tag})",
        round(full, 1),
        TARGETS["full_refresh_wall_s_at_1x"],
        full <= TARGETS["full_refresh_wall_s_at_1x"],
        "s",
    )
    pg = big.get("postgres") or {}
    if "load_s" in pg:  # the target is for national scale, like the full refresh's wall time
        add(
            f"PostgreSQL load of all marts ({big['national_multiplier']:g}x)",
            pg["load_s"],
            TARGETS["postgres_load_s_at_1x"],
            pg["load_s"] <= TARGETS["postgres_load_s_at_1x"],
            "s",
        )
    rep = big.get("reports", {})
    if rep.get("step_s") is not None:
        add(
            f"reports rendered {rep['reports_written']}, report step wall ({tag})",
            rep["step_s"],
            TARGETS["reports_wall_s_at_1x"],
            rep["step_s"] <= TARGETS["reports_wall_s_at_1x"],
            "s",
        )
        whole = big["full_refresh"]["wall_s"]
        add(
            f"full refresh wall incl. reports ({tag})",
            whole,
            TARGETS["full_refresh_incl_reports_wall_s_at_1x"],
            whole <= TARGETS["full_refresh_incl_reports_wall_s_at_1x"],
            "s",
        )
    night = big.get("nightly", {})
    if "refresh" in night:
        w = night["refresh"]["wall_s"]
        add(
            f"nightly refresh, as_of + 1 day and one SUS export changed ({tag})",
            w,
            TARGETS["nightly_refresh_wall_s"],
            w <= TARGETS["nightly_refresh_wall_s"] and night["refresh"]["exit_code"] in (0, 2),
            "s",
        )
    if "equal_to_full_rebuild" in night:
        same = night["equal_to_full_rebuild"]["identical"]
        add(f"nightly marts == full rebuild, EXCEPT ALL both ways ({tag})", same, True, same)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        f = b["national_multiplier"] / a["national_multiplier"]
        for what in ("full_refresh", "baseline"):
            ta, tb = (
                (without_reports(a), without_reports(b))
                if what == "full_refresh"
                else (a[what]["wall_s"], b[what]["wall_s"])
            )
            exp = math.log(tb / ta) / math.log(f) if ta > 0 and tb > 0 else None
            add(
                f"scaling exponent {what} ({a['national_multiplier']:g}x -> {b['national_multiplier']:g}x)",
                None if exp is None else round(exp, 2),
                1.0,
                exp is not None and exp <= 1.15,
                "(1 = linear)",
            )
    return {
        "rows": rows,
        "checks_ran": {f"{r['national_multiplier']:g}x": r["full_refresh"].get("checks_ran") for r in results},
        "fixed_cost": fixed_cost(results[0]),
    }


def fixed_cost(r: dict) -> dict:
    """What a refresh costs whatever the data size, read at the smallest size measured: process
    start-up and imports, Dagster's run creation up to the first step, dbt's own start-up and
    parse (its step minus the time dbt reports for its nodes), and the dbt docs step."""
    full = r["full_refresh"]
    steps = full.get("steps_s", {})
    dbt_step = steps.get("finsam_dbt_assets")
    dbt_elapsed = full.get("dbt", {}).get("elapsed_s")
    return {
        "at": f"{r['national_multiplier']:g}x",
        "refresh_wall_s": full["wall_s"],
        "imports_s": full.get("import_s"),
        "run_creation_to_first_step_s": None
        if full.get("startup_to_first_step_s") is None or full.get("import_s") is None
        else round(full["startup_to_first_step_s"] - full["import_s"], 2),
        "dbt_startup_and_parse_s": None
        if dbt_step is None or dbt_elapsed is None
        else round(dbt_step - dbt_elapsed, 2),
        "dbt_docs_s": steps.get(DOCS_KEY.to_python_identifier()),
        "unchanged_refresh_wall_s": r["unchanged_refresh"]["wall_s"],
    }


def print_table(summary: dict) -> None:
    w = max(len(r["measure"]) for r in summary["rows"])
    print(f"\n{'measure':<{w}}  {'value':>10}  {'target':>8}  {'ratio':>6}  holds")
    for r in summary["rows"]:
        v = r["value"]
        vs = "-" if v is None else (str(v) if isinstance(v, bool) else f"{v:g}")
        ts = str(r["target"]) if isinstance(r["target"], bool) else f"{r['target']:g}"
        ratio = "" if r["ratio_to_target"] is None else f"{r['ratio_to_target']:.2f}"
        print(f"{r['measure']:<{w}}  {vs:>10}  {ts:>8}  {ratio:>6}  {'yes' if r['holds'] else 'NO'}  {r['unit']}")
    for tag, counts in summary.get("checks_ran", {}).items():
        if counts:
            print(f"checks ran in the full refresh ({tag}): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if summary.get("fixed_cost"):
        print("fixed cost of a refresh: " + ", ".join(f"{k} {v}" for k, v in summary["fixed_cost"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplier of national size (national = demo scale 300); runs 0.25x and 1x of it",
    )
    ap.add_argument("--multipliers", default="0.25,1", help="fractions of --scale to run (default 0.25,1)")
    ap.add_argument("--as-of", default="2026-10-31")
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument(
        "--reports",
        choices=("full", "none"),
        default="full",
        help="full: the refresh renders every report, timed (default); none: its report step renders nothing",
    )
    ap.add_argument(
        "--no-postgres",
        dest="postgres",
        action="store_false",
        help="skip the PostgreSQL publish measurement (it runs when the server binaries are installed)",
    )
    ap.add_argument("--out", type=Path, help="results JSON (default bench/results/<date>-<host>.json)")
    ap.add_argument(
        "--tree",
        choices=("snapshot", "head", "keep", "live"),
        default="snapshot",
        help="measure a snapshot of the working tree taken at start (default), of the committed HEAD, "
        "the snapshot left by an earlier run (keep), or the live tree",
    )
    args = ap.parse_args(argv)

    mults = [float(x) * args.scale for x in args.multipliers.split(",")]
    started = dt.datetime.now()
    info = machine()
    info["git"] = git_state()
    if args.tree in ("snapshot", "head"):
        info["snapshot"] = snapshot_tree(head=args.tree == "head")
    elif args.tree == "keep":  # the snapshot a previous run (or snapshot_tree()) left, as it is
        global SRC
        SRC = DATA / "_tree"
        meta = SRC / ".snapshot.json"
        info["snapshot"] = {**(json.loads(meta.read_text()) if meta.exists() else {}), "reused": True}
    print(f"bench: {info}", flush=True)
    out = args.out or RESULTS / f"{started:%Y-%m-%d}-{info['host']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    # the largest size first: it is the one that matters if time runs out; the JSON is written
    # after each size
    for m in sorted(mults, reverse=True):
        results.append(bench_one(m, args))
        results.sort(key=lambda r: r["national_multiplier"])
        write_doc(out, args, argv, started, info, results, summarise(results))
    summary = summarise(results)
    print_table(summary)
    write_doc(out, args, argv, started, info, results, summary)
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


def write_doc(out: Path, args, argv, started, info, results, summary) -> None:
    doc = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "as_of": args.as_of,
        "machine": info,
        "targets": TARGETS,
        "baseline_covers": sorted(KEYS),
        "results": results,
        "summary": summary,
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
