"""Find a kind's files in the landing folder and identify them (SHA-256, dates from the name).

A file belongs to a kind when its name starts with `<kind>_` or `<kind>.` (case-insensitive);
when several kinds match, the longest wins (`sus_deltagare_x.csv` is `sus_deltagare`, never a
shorter kind `sus`). Only `.csv`, `.txt` and `.xlsx` count; hidden files (`.x`) and Excel lock
files (`~$x`) are ignored.

A file whose bytes were hashed before is not read again. Its SHA-256 is remembered under what
the file system says about it, a `FileStat`: name, size, st_mtime_ns, st_ctime_ns and st_ino
(ingest keeps them in `raw._file_hashes`, pipelines/ingest/load.py). When all five are the same,
the SHA-256 is taken from there; when any differs, the file is hashed again. That is safe
because the kernel sets a file's ctime to the current time whenever its bytes or its inode
change (write, truncate, utime, chmod, rename, link), and no call sets ctime back: a user can
set mtime back (`touch -d`, `os.utime`, `cp -p`, unzip), but that very call moves ctime. So:
- an export replaced by a new one of the same name is a new inode, or the same inode with a
  new ctime (and usually another size and mtime): hashed again;
- a data dir copied with `cp -a` keeps its keys for a landing folder elsewhere (the same files);
  a landing folder copied along gets new inodes and ctimes, so its files are hashed once more;
- a quarantined file leaves the landing folder; its key goes with the next ingest of its kind,
  and a corrected export under the same name is a new file;
- hard links share one inode, so one set of bytes: the remembered hash is right for both.
One gap remains, the file system's clock tick: timestamps move in steps (a few milliseconds, a
second or two on some file systems), so a file rewritten within the tick in which it was hashed
could keep its ctime. A hash is therefore remembered only when the file's ctime is more than
`SETTLED_AFTER_NS` older than the discovery (git's "racily clean" entries, the same remedy);
a younger file is hashed again next time. The landing folder must be on a file system that
keeps ctime and inode numbers (any Linux one, NFS and SMB included; not FAT).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".csv", ".txt", ".xlsx")
_CHUNK = 1 << 20
# A hash is remembered only for a file whose ctime is older than this (module docstring).
SETTLED_AFTER_NS = 2_000_000_000

# `_ÅÅÅÅ-MM-DD`, `_ÅÅÅÅ-MM`, `_ÅÅÅÅ`, not followed by another digit; the last one in the name wins.
_NAME_DATE = re.compile(r"_(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?![\d])")


@dataclass(frozen=True)
class FileStat:
    """What the file system says about a landing file: the key its SHA-256 is remembered under."""

    file_name: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path, stat: os.stat_result) -> FileStat:
        return cls(path.name, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


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
    # The key to remember `sha256` under; None when the file changed too recently to trust it.
    hash_key: FileStat | None = None

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


def remembered_sha256(path: Path, stat: os.stat_result, known: Mapping[FileStat, str]) -> tuple[str, FileStat | None]:
    """The file's SHA-256, from `known` when its FileStat is there, else read; and the FileStat to
    remember it under, None while the file is too young to trust (module docstring). `stat` is
    taken before the bytes are read: a file written while it is hashed gets a new ctime, so that
    key never matches it again."""
    key = FileStat.of(path, stat)
    sha256 = known.get(key) or sha256_file(path)
    return sha256, key if stat.st_ctime_ns < time.time_ns() - SETTLED_AFTER_NS else None


def discover(
    landing_dir: Path, kind: str, kinds: Iterable[str], known: Mapping[FileStat, str] | None = None
) -> list[LandingFile]:
    """The kind's files in `landing_dir` (not recursive), oldest first by newness order
    (file-name date, then modification time, then name). `known`: SHA-256 by `FileStat` of
    files hashed before; those files are not read (module docstring)."""
    kinds = list(kinds)
    if kind not in kinds:
        kinds.append(kind)
    if not landing_dir.is_dir():
        return []
    known = known or {}
    found: list[LandingFile] = []
    for path in landing_dir.iterdir():
        if not path.is_file() or kind_of(path.name, kinds) != kind:
            continue
        stat = path.stat()
        sha256, key = remembered_sha256(path, stat, known)
        file_date, is_day = file_date_from_name(path.name)
        found.append(
            LandingFile(
                path=path,
                kind=kind,
                sha256=sha256,
                size=stat.st_size,
                file_date=file_date,
                file_date_is_day=is_day,
                mtime=dt.datetime.fromtimestamp(stat.st_mtime),
                hash_key=key,
            )
        )
    found.sort(key=lambda f: (f.file_date or dt.date.min, f.mtime, f.name))
    return found
