"""A text file other processes may read while it is replaced (a record, a report, a page).

It is written under a temporary name beside it (`.<name>.<pid>.tmp`: two processes may write
the same file at once) and renamed into place; the rename is atomic within a file system, so a
reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
