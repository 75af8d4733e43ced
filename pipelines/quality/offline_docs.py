"""GX data docs that open without internet.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs.
Offline -- the rule rather than the exception where municipalities keep personal data -- a page
then opens unstyled, and the index's tables, which bootstrap-table fills from JavaScript, stay
empty. So after every build the files the pages load are copied from `vendor/data-docs/`
(npm packages at pinned versions, see its assets.yml) to `<site>/static/vendor/`, and every
page's CDN address is replaced with a relative path to the copy: the site keeps working when
the data dir is copied or opened from a share, and it never asks the internet for anything.

`python -m pipelines.quality.offline_docs fetch` fetches the vendored files again with
`npm pack` (to move to other versions: edit assets.yml, fetch, rebuild the docs, look).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines.atomic_file import write_text_atomic
from pipelines.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

VENDOR_DIR = PROJECT_ROOT / "vendor" / "data-docs"
MANIFEST = VENDOR_DIR / "assets.yml"
SITE_VENDOR = "static/vendor"

_URL = re.compile(r"https?://[^\s\"'()<>]+")
# Subresource-integrity attributes make the browser fetch a file with CORS, which a file:// page
# cannot do for its own files: the hashes are for the CDN copies, the local copies need none.
_SRI = re.compile(r"""\s+(?:integrity|crossorigin)=(?:"[^"]*"|'[^']*'|[^\s>]+)""")
# A path to the site's static/ folder. GX writes one `../` too few before the favicon on the
# validation pages (four folders deep), so every such path is set to the page's real depth.
_SITE_STATIC = re.compile(r"""(["'(])(?:\./|(?:\.\./)+)static/""")
# What a page loads by itself (links that a reader may follow, <a href>, are not loads).
_LOADS = (
    re.compile(r"""<(?:script|img|iframe|source|embed)\b[^>]*?\bsrc=["']?(https?://[^"'\s>]+)""", re.I),
    re.compile(r"""<link\b[^>]*?\bhref=["']?(https?://[^"'\s>]+)""", re.I),
    re.compile(r"""url\(\s*["']?(https?://[^"')\s]+)""", re.I),
)


@lru_cache(maxsize=1)
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def package_dir(package: str) -> str:
    """`@fortawesome/fontawesome-free@6.6.0` -> `fontawesome-free@6.6.0` (the folder in vendor/)."""
    return package.rsplit("/", 1)[-1]


def remote_loads(html: str) -> list[str]:
    """The addresses on the internet that a page would load (scripts, styles, images, fonts)."""
    return sorted({m.group(1) for pattern in _LOADS for m in pattern.finditer(html)})


def rewrite_page(html: str, to_root: str) -> str:
    """Every CDN address of the manifest -> the local copy, relative to the page (`to_root` is
    the path from the page's folder to the site root, e.g. `.` or `../../..`)."""
    urls: dict[str, str] = manifest()["urls"]

    def local(match: re.Match) -> str:
        url = match.group(0)
        target = urls.get(url.split("?", 1)[0])  # the logo's address carries a cache-busting ?d=…
        return f"{to_root}/{target}" if target else url

    html = _SITE_STATIC.sub(lambda m: f"{m.group(1)}{to_root}/static/", html)
    return _SRI.sub("", _URL.sub(local, html))


def copy_assets(docs_dir: Path) -> None:
    target = docs_dir / SITE_VENDOR
    for package in manifest()["packages"]:
        shutil.copytree(VENDOR_DIR / package_dir(package), target / package_dir(package), dirs_exist_ok=True)


def make_offline(docs_dir: Path) -> int:
    """Copy the assets into the site and point its pages at them; returns the pages changed.

    A page that holds none of the manifest's addresses is offline already, made so by an earlier
    build (every page GX renders loads Bootstrap and jQuery from a CDN), and is not rewritten: a
    build that rendered a few pages costs the rewriting of those few."""
    copy_assets(docs_dir)
    cdn_addresses = tuple(manifest()["urls"])
    changed = 0
    remaining: set[str] = set()
    for page in sorted(docs_dir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if not any(address in html for address in cdn_addresses):
            continue
        new = rewrite_page(html, Path(os.path.relpath(docs_dir, page.parent)).as_posix())
        remaining.update(remote_loads(new))
        if new != html:
            write_text_atomic(page, new)  # a reader never sees half a page
            changed += 1
    if remaining:  # a newer GX asks for something assets.yml does not have yet
        log.warning(
            "data docs still load from the internet (add them to %s): %s", MANIFEST, ", ".join(sorted(remaining))
        )
    return changed


def fetch() -> None:
    """Fetch every vendored file again from the npm registry (`npm pack`, needs npm)."""
    with tempfile.TemporaryDirectory() as tmp:
        for package, spec in manifest()["packages"].items():
            done = subprocess.run(
                ["npm", "pack", "--silent", package], cwd=tmp, capture_output=True, text=True, check=True
            )
            tarball = Path(tmp) / done.stdout.strip().splitlines()[-1]
            unpacked = Path(tmp) / package_dir(package)
            with tarfile.open(tarball) as tar:
                tar.extractall(unpacked, filter="data")
            for name in spec["files"]:
                out = VENDOR_DIR / package_dir(package) / name
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpacked / "package" / name, out)
            print(f"{package}: {len(spec['files'])} files")


if __name__ == "__main__":  # pragma: no cover - maintenance command
    if sys.argv[1:] != ["fetch"]:
        sys.exit("usage: python -m pipelines.quality.offline_docs fetch")
    fetch()
