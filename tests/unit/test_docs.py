"""The repository documents itself: every Markdown file it names is in it, and docs/ links resolve.

Users get the repository and nothing beside it, so a reference to the brief it was built from
(a `shared/` folder next to it) or to a `.md` file that is not tracked here leaves them with a
dead end. Scanned: every file `git ls-files` lists (text files; this test's own patterns are
built so that this file does not match them).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = PurePosixPath("docs")


SHARED = re.compile(r"(?<![\w-])" + "shared" + r"/")
MD_PATH = re.compile(r"(?<![\w/.-])((?:\.{1,2}/)?[\w.-]+(?:/[\w.-]+)*\." + "md)" + r"(?![\w(-])")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked_text_files() -> dict[PurePosixPath, str]:
    names = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    )
    files = {}
    for name in filter(None, names):
        path = ROOT / name
        if not path.is_file() or path == Path(__file__).resolve():
            continue
        try:
            files[PurePosixPath(name)] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary (fonts, xlsx fixtures)
            continue
    return files


FILES = tracked_text_files()
TRACKED = {str(p) for p in FILES} | set(
    subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
)
KNOWN = TRACKED


def _normal(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def resolves(reference: str, in_file: PurePosixPath) -> bool:
    """A path resolves relative to the file naming it, to the repository root, or to docs/
    (where a bare page name such as `marts.md` is the project's own page)."""
    candidates = (in_file.parent / reference, PurePosixPath(reference), DOCS / reference)
    return any(_normal(c) in KNOWN for c in candidates)


def test_the_scan_sees_the_repository():
    assert PurePosixPath("README.md") in FILES and PurePosixPath("docs/README.md") in FILES
    assert resolves("marts.md", PurePosixPath("pipelines/quality/suites.yml"))
    assert resolves("../sources.md", PurePosixPath("docs/metrics/time.md"))
    assert not resolves("domain.md", PurePosixPath("pipelines/quality/suites.yml"))
    assert not resolves("../stack-notes.md", PurePosixPath("docs/metrics/time.md"))


def test_nothing_refers_to_the_brief_outside_the_repository():
    found = [
        f"{p}:{i}" for p, text in FILES.items() for i, line in enumerate(text.splitlines(), 1) if SHARED.search(line)
    ]
    assert found == []


def test_every_markdown_file_named_is_in_the_repository():
    missing = []
    for path, text in FILES.items():
        for i, line in enumerate(text.splitlines(), 1):
            for reference in MD_PATH.findall(line):
                if "://" in line and f"://{reference}" in line:
                    continue
                if not resolves(reference, path):
                    missing.append(f"{path}:{i}: {reference}")
    assert missing == []


@pytest.mark.parametrize("page", sorted(str(p) for p in FILES if p.parts[0] == "docs" and p.suffix == ".md"))
def test_docs_links_resolve(page):
    path = PurePosixPath(page)
    broken = []
    for target in MD_LINK.findall(FILES[path]):
        if re.match(r"[a-z]+:", target):
            continue
        file_part = target.split("#", 1)[0]
        if file_part and _normal(path.parent / file_part) not in KNOWN:
            broken.append(target)
    assert broken == []


def test_names_the_docs_cite_exist():
    """A model, macro, test, seed or column cited in docs/ as `snake_case` is named somewhere in
    the code (or is a file's name), so renaming one without its page fails here."""
    code = "\n".join(text for p, text in FILES.items() if p.parts[0] != "docs")
    stems = {PurePosixPath(p).stem for p in TRACKED}
    unknown = set()
    for path, text in FILES.items():
        if path.parts[0] == "docs" and path.suffix == ".md":
            for name in re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:\.(?:sql|csv|yml|py))?`", text):
                if name not in stems and name not in code:
                    unknown.add(f"{path}: {name}")
    assert sorted(unknown) == []
