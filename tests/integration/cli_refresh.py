"""`finsam refresh` as a user runs it, for the end-to-end tests (a subprocess each time)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

FINSAM = str(Path(sys.executable).with_name("finsam"))
AS_OF = "2026-10-31"
PNR_IN_CSV = re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+]?\d{4}(?!\d)")
PNR_IN_TXT = re.compile(r"(?<!\d)(?:19|20)\d{10}(?!\d)")


def refresh_env() -> dict[str, str]:
    """The user's environment without any FINSAM_/DAGSTER_ setting of the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINSAM_", "DAGSTER_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def refresh_command(data_dir: Path, *flags: str) -> list[str]:
    return [FINSAM, "refresh", "--data-dir", str(data_dir), "--as-of", AS_OF, *flags]


def run_refresh_cli(data_dir: Path, *flags: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """`finsam refresh` as a user runs it: a subprocess, landing folder `<data dir>/landing`."""
    return subprocess.run(
        refresh_command(data_dir, *flags), capture_output=True, text=True, timeout=timeout, env=refresh_env()
    )


def personnummer_in_landing(landing: Path) -> set[str]:
    """Every personnummer written into the demo exports (CSV in cp1252/UTF-8, SUS text files)."""
    found: set[str] = set()
    for f in landing.glob("*.csv"):
        found |= set(PNR_IN_CSV.findall(f.read_bytes().decode("cp1252", errors="replace")))
    for f in landing.glob("*.txt"):
        found |= set(PNR_IN_TXT.findall(f.read_text(encoding="cp1252")))
    return found
