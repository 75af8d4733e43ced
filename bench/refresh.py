"""`finsam refresh` for the benchmark: the same code path (pipelines.run.run_refresh, the whole
refresh job in process), with one option: --no-reports keeps the report step in the job but
makes it render nothing, for a quicker measurement of the rest of the refresh (bench/run.py
--reports none).

    .venv/bin/python bench/refresh.py --landing L --data-dir D --as-of 2026-10-31 [--no-reports]

Exit codes as `finsam refresh`: 0 published (or nothing changed), 2 published with quarantined
files, 1 failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

T0 = time.time()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--no-reports", action="store_true")
    args = ap.parse_args(argv)

    from pipelines.cli import apply_flags, prepare_dagster_home

    s = apply_flags(args.landing, args.data_dir, args.as_of)
    prepare_dagster_home(s)
    if args.no_reports:
        import pipelines.report.assets as report_assets

        report_assets.render_jobs = lambda *a, **k: []  # the step runs, renders nothing
    from pipelines.run import run_refresh

    t_imported = time.time()
    outcome = run_refresh(s)
    outcome.print_summary()
    print(f"BENCH process_start={T0:.3f} imported={t_imported:.3f} finished={time.time():.3f} run_id={outcome.run_id}")
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
