"""What people open works without internet: the GX data docs, the dbt docs and a report of a
refreshed data dir, loaded from disk by headless Chromium with the network off, show the
validation results, the lineage graph and the charts, without a script error.

The network is cut with a proxy that does not exist and a resolver that resolves nothing; the
control test proves that: the same index page with its CDN addresses put back shows no rows.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pipelines.quality.offline_docs import manifest, remote_loads

CHROMIUM = Path("/usr/bin/chromium")
OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", *OFFLINE,
]  # fmt: skip
LOCAL_REF = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']((?:\./|\.\./)[^"'#?]+)""")
# dbt docs bind `<img src="{{ getIcon(…) }}">` before Angular fills it in, so Chromium refuses the
# literal template as a file:// address, once per tree node; a local quirk, not a network load.
UNFILLED_ICON = re.compile(r"Unsafe attempt to load URL file://\S*%7B%7B%20getIcon\(")
# The index's validation results: bootstrap-table builds one <tr data-index=…> per result.
RESULT_ROW = re.compile(r"<tr[^>]*data-index=")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium)"
)


def dump_dom(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and the console errors, offline."""
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    errors = [
        line
        for line in done.stderr.splitlines()
        if ("CONSOLE" in line or "Uncaught" in line) and not UNFILLED_ICON.search(line)
    ]
    return done.stdout, errors


@pytest.fixture(scope="module")
def site(demo_refresh) -> Path:
    assert demo_refresh.first.returncode == 0, demo_refresh.first.stdout[-3000:]
    return demo_refresh.data / "validation" / "docs"


def test_data_docs_load_nothing_from_the_internet(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10  # the index, a page per suite and per kept validation
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert remote_loads(html) == [], page
        for ref in LOCAL_REF.findall(html):
            assert (page.parent / ref).resolve().is_file(), (page, ref)


def test_data_docs_index_shows_the_validation_results_offline(site, tmp_path):
    dom, errors = dump_dom(site / "index.html", tmp_path / "profile")
    assert not errors, errors
    assert 'class="bootstrap-table' in dom  # bootstrap-table ran: jQuery, Bootstrap and it loaded
    assert len(RESULT_ROW.findall(dom)) >= 5
    assert "marts_genomflode" in dom


def test_control_the_same_index_with_cdn_addresses_shows_no_results(site, tmp_path):
    """Not vacuous: with the CDN addresses put back, the browser reaches nothing and the table stays empty."""
    html = (site / "index.html").read_text(encoding="utf-8")
    for url, target in manifest()["urls"].items():
        html = html.replace(f"./{target}", url)
    assert remote_loads(html)
    control = site / ".control_index.html"  # beside the real one: same relative paths
    try:
        control.write_text(html, encoding="utf-8")
        dom, errors = dump_dom(control, tmp_path / "profile")
    finally:
        control.unlink(missing_ok=True)
    assert RESULT_ROW.findall(dom) == []
    assert any("$ is not defined" in e for e in errors), errors


def test_a_validation_result_page_offline(site, tmp_path):
    page = next(iter(sorted((site / "validations" / "marts_genomflode").rglob("*.html"))))
    dom, errors = dump_dom(page, tmp_path / "profile")
    assert not errors, errors
    assert "Expectation Validation Result" in dom and "Successful Expectations" in dom
    assert dom.count("<tr") >= 10


def test_dbt_docs_show_the_lineage_graph_offline(demo_refresh, tmp_path):
    index = demo_refresh.data / "docs" / "dbt" / "index.html"
    assert remote_loads(index.read_text(encoding="utf-8")) == []
    dom, errors = dump_dom(index, tmp_path / "profile")
    assert not errors, errors
    graph = re.search(r'<div[^>]*id="cy".*?</div>', dom, re.S)
    assert graph and "<canvas" in graph.group(0)  # cytoscape drew the lineage graph's canvas
    assert "genomflode" in dom  # the project's models, from the embedded manifest


def test_a_report_shows_its_charts_offline(demo_refresh, tmp_path):
    reports = sorted((demo_refresh.data / "reports").rglob("*.html"))
    assert reports
    page = reports[0]
    html = page.read_text(encoding="utf-8")
    assert remote_loads(html) == []
    dom, errors = dump_dom(page, tmp_path / "profile")
    assert not errors, errors
    assert dom.count("<svg") == html.count("<svg") >= 1
