"""The GX data docs open without internet: every CDN address GX's templates use has a vendored
copy, and the pages are pointed at it (the browser test is in
tests/integration/test_offline_pages.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import great_expectations

from pipelines.quality.offline_docs import (
    VENDOR_DIR,
    make_offline,
    manifest,
    package_dir,
    remote_loads,
    rewrite_page,
)

GX_TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
PAGE = """<html><head>
<link rel="shortcut icon" href="../../../static/images/favicon.ico" type="image/x-icon"/>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<style>.logo { background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png') 0 0; }</style>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"
  integrity="sha384-ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q" crossorigin="anonymous"></script>
</head><body>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261207T084612.602725Z">
<a href="https://greatexpectations.io">a link, not a load</a>
</body></html>"""


def _template_loads() -> set[str]:
    found: set[str] = set()
    for path in GX_TEMPLATES.rglob("*.j2"):
        found |= set(remote_loads(path.read_text(encoding="utf-8")))
    return found


def test_every_cdn_address_in_the_gx_templates_has_a_local_copy():
    loads = _template_loads()
    assert len(loads) >= 15, loads  # jQuery, Bootstrap, bootstrap-table, Font Awesome, Vega, …
    missing = sorted(u for u in loads if u.split("?", 1)[0] not in manifest()["urls"])
    assert not missing, f"GX loads these from the internet; add them to vendor/data-docs/assets.yml: {missing}"


def test_every_vendored_file_is_there_and_every_address_points_at_one():
    packages = manifest()["packages"]
    shipped = {f"static/vendor/{package_dir(p)}/{f}" for p, spec in packages.items() for f in spec["files"]}
    for relative in shipped:
        path = VENDOR_DIR / relative.removeprefix("static/vendor/")
        assert path.is_file() and path.stat().st_size > 0, path
    for url, target in manifest()["urls"].items():
        assert target in shipped or target == "static/images/logo-long.png", (url, target)
    # nothing in the folder that assets.yml does not account for
    on_disk = {f"static/vendor/{p.relative_to(VENDOR_DIR).as_posix()}" for p in VENDOR_DIR.rglob("*") if p.is_file()}
    assert {extra.rsplit("/", 1)[-1] for extra in on_disk - shipped} == {"assets.yml", "README.md"}


def test_rewrite_points_every_load_at_the_local_copy_relative_to_the_page():
    deep = rewrite_page(PAGE, "../../../..")
    assert remote_loads(deep) == []
    assert '<script src="../../../../static/vendor/jquery@3.7.1/dist/jquery.min.js"></script>' in deep
    assert '<script src="../../../../static/vendor/vega@5.33.1/build/vega.min.js"></script>' in deep
    assert "url('../../../../static/images/logo-long.png')" in deep
    assert '<img src="../../../../static/images/logo-long.png">' in deep
    # the CDN's integrity hash and CORS mode would block a file:// page from its own copy
    assert '<script src="../../../../static/vendor/popper.js@1.12.9/dist/umd/popper.min.js"></script>' in deep
    assert "integrity" not in deep and "crossorigin" not in deep
    assert '<a href="https://greatexpectations.io">' in deep  # links stay links
    # GX's own paths to static/ at the page's real depth (it writes one ../ too few for the favicon)
    assert 'href="../../../../static/images/favicon.ico"' in deep
    assert 'href="./static/images/favicon.ico"' in rewrite_page(PAGE, ".")
    assert 'href="./static/vendor/bootstrap@4.3.1/dist/css/bootstrap.min.css"' in rewrite_page(PAGE, ".")


def test_remote_loads_finds_what_a_page_would_fetch():
    assert remote_loads(PAGE) == sorted(
        [
            "https://cdn.jsdelivr.net/npm/vega@5",
            "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
            "https://code.jquery.com/jquery-3.7.1.min.js",
            "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png",
            "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261207T084612.602725Z",
            "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
        ]
    )


def test_make_offline_copies_the_assets_and_rewrites_every_page(tmp_path):
    site = tmp_path / "docs"
    (site / "validations" / "suite" / "run" / "20261207T084612Z").mkdir(parents=True)
    (site / "index.html").write_text(PAGE, encoding="utf-8")
    page = site / "validations" / "suite" / "run" / "20261207T084612Z" / "result.html"
    page.write_text(PAGE, encoding="utf-8")
    assert make_offline(site) == 2
    assert remote_loads((site / "index.html").read_text(encoding="utf-8")) == []
    html = page.read_text(encoding="utf-8")
    assert 'src="../../../../static/vendor/jquery@3.7.1/dist/jquery.min.js"' in html
    local = site / "static" / "vendor" / "jquery@3.7.1" / "dist" / "jquery.min.js"
    original = VENDOR_DIR / "jquery@3.7.1" / "dist" / "jquery.min.js"
    assert hashlib.sha256(local.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()
    assert (site / "static" / "vendor" / "fontawesome-free@6.6.0" / "webfonts" / "fa-solid-900.woff2").is_file()
    assert make_offline(site) == 0  # a rebuilt site with pages already offline: nothing to change
