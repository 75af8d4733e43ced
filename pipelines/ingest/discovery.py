"""Find a kind's files in the landing folder and identify them (SHA-256, dates from the name).

A file belongs to a kind when its name starts with `<kind>_` or `<kind>.` (case-insensitive);
when several kinds match, the longest wins (`sus_deltagare_x.csv` is `sus_deltagare`, never a
shorter kind `sus`). Only `.csv`, `.txt` and `.xlsx` count; hidden files (`.x`) and Excel lock
files (`~$x`) are ignored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".csv", ".txt", ".xlsx")
_CHUNK = 1 << 20

# `_ÅÅÅÅ-MM-DD`, `_ÅÅÅÅ-MM`, `_ÅÅÅÅ`, not followed by another digit; the last one in the name wins.
_NAME_DATE = re.compile(r"_(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?![\d])")


@dataclass(frozen=True)
class LandingFile:
    path: Path
    kind: str
    sha256: str
    size: int
    file_date: dt.date | None
    # True when the name carries a full `_ÅÅÅÅ-MM-DD` (then it is the file's export date).
    file_date_is_day: bool
    mtime: dt.datetime

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_excel(self) -> bool:
        return self.path.suffix.lower() == ".xlsx"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_date_from_name(name: str) -> tuple[dt.date | None, bool]:
    """The date in the file name and whether it is a full day.

    `x_2022-08-10.xlsx` -> (2022-08-10, True); `x_2022-07.txt` -> (2022-07-01, False);
    `x_2018.csv` -> (2018-01-01, False); no (valid) date -> (None, False).
    """
    stem = name.rsplit(".", 1)[0] if "." in name else name
    for match in reversed(list(_NAME_DATE.finditer(stem))):
        year, month, day = match.group(1), match.group(2), match.group(3)
        try:
            date = dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            continue
        if not 1900 <= date.year <= 2999:
            continue
        return date, day is not None
    return None, False


def kind_of(file_name: str, kinds: Iterable[str]) -> str | None:
    """The kind a file name belongs to (longest matching kind), or None."""
    lower = file_name.lower()
    if lower.startswith((".", "~$")) or not lower.endswith(EXTENSIONS):
        return None
    best: str | None = None
    for kind in kinds:
        k = kind.lower()
        if lower.startswith((k + "_", k + ".")) and (best is None or len(k) > len(best)):
            best = kind
    return best


def export_names(landing_dir: Path, kinds: Iterable[str]) -> list[str]:
    """The names of the files in `landing_dir` that some kind would read (by name only, no hashing)."""
    kinds = list(kinds)
    return sorted(p.name for p in landing_dir.iterdir() if p.is_file() and kind_of(p.name, kinds) is not None)


def discover(landing_dir: Path, kind: str, kinds: Iterable[str]) -> list[LandingFile]:
    """The kind's files in `landing_dir` (not recursive), oldest first by newness order
    (file-name date, then modification time, then name)."""
    kinds = list(kinds)
    if kind not in kinds:
        kinds.append(kind)
    if not landing_dir.is_dir():
        return []
    found: list[LandingFile] = []
    for path in landing_dir.iterdir():
        if not path.is_file() or kind_of(path.name, kinds) != kind:
            continue
        stat = path.stat()
        file_date, is_day = file_date_from_name(path.name)
        found.append(
            LandingFile(
                path=path,
                kind=kind,
                sha256=sha256_file(path),
                size=stat.st_size,
                file_date=file_date,
                file_date_is_day=is_day,
                mtime=dt.datetime.fromtimestamp(stat.st_mtime),
            )
        )
    found.sort(key=lambda f: (f.file_date or dt.date.min, f.mtime, f.name))
    return found
