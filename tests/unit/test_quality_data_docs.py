"""The GX data docs are brought up to date, not rebuilt: a build renders the pages of the new
results and of new or changed suites, an index of every suite and kept result, and drops the
pages of pruned results (pipelines/quality/runtime.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from pipelines.quality.offline_docs import remote_loads
from pipelines.quality.runtime import DOCS_RECORD, KEEP_RESULTS, docs_dir, get_runtime, results_dir, suite_names

SUITE = "raw_budget"
MARKER = "<!-- not rendered again -->"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return get_runtime(tmp_path_factory.mktemp("docs") / "validation")


def validate(runtime, night: int, count: int) -> None:
    frame = pd.DataFrame({"forbund": ["F1", "F2"]})
    for i in range(count):
        runtime.validate(SUITE, frame, subject=f"night{night}_{i}.csv")


def result_pages(validation: Path) -> list[str]:
    """The site paths of the pages of the stored results: results/… .json -> validations/… .html."""
    root = results_dir(validation)
    return sorted("validations/" + p.relative_to(root).with_suffix(".html").as_posix() for p in root.rglob("*.json"))


def linked_pages(index: Path) -> set[str]:
    return set(re.findall(r"(?:validations|expectations)/[^\"'\s]+?\.html", index.read_text(encoding="utf-8")))


def mark(page: Path) -> None:
    page.write_text(page.read_text(encoding="utf-8") + MARKER, encoding="utf-8")


def marked(page: Path) -> bool:
    return page.read_text(encoding="utf-8").endswith(MARKER)


def test_data_docs_render_new_pages_keep_the_others_and_drop_pruned_ones(runtime):
    validation = runtime.validation_dir
    site = docs_dir(validation)

    # A fresh site: every suite and every result gets a page.
    validate(runtime, 1, 6)
    index = runtime.build_docs()
    first = result_pages(validation)
    assert len(first) == 6
    suite_pages = {f"expectations/{name}.html" for name in suite_names()}
    assert linked_pages(index) == suite_pages | set(first)
    assert all((site / page).is_file() for page in suite_pages | set(first))
    for page in [*first, f"expectations/{SUITE}.html", "expectations/marts_ekonomi.html"]:
        mark(site / page)

    # The next refresh: six more results of the suite, so the two oldest are pruned.
    validate(runtime, 2, 6)
    index = runtime.build_docs()
    kept = result_pages(validation)
    assert len(kept) == KEEP_RESULTS
    pruned, survivors = first[:2], first[2:]
    new = sorted(set(kept) - set(first))
    assert len(new) == 6 and all("/night2_" in page for page in new)
    assert set(survivors) <= set(kept)
    assert linked_pages(index) == suite_pages | set(kept)  # every kept result, no pruned one
    assert not any((site / page).exists() for page in pruned)
    assert all(marked(site / page) for page in survivors)  # earlier pages not rendered again
    assert marked(site / f"expectations/{SUITE}.html")  # nor the unchanged suites
    for page in new:
        html = (site / page).read_text(encoding="utf-8")
        assert "night2_" in html and remote_loads(html) == []  # rendered, and offline
    assert remote_loads(index.read_text(encoding="utf-8")) == []

    # A suite whose definition changed gets its page again; the others keep theirs.
    record = json.loads((validation / DOCS_RECORD).read_text(encoding="utf-8"))
    record["suites"]["marts_ekonomi"] = "an earlier definition"
    (validation / DOCS_RECORD).write_text(json.dumps(record), encoding="utf-8")
    validate(runtime, 3, 1)
    runtime.build_docs()
    assert not marked(site / "expectations/marts_ekonomi.html")
    assert marked(site / f"expectations/{SUITE}.html")
    assert all(marked(site / page) for page in survivors[1:])  # the oldest of them was pruned

    # Without the record of what the site was rendered from, all of it is rendered again.
    (validation / DOCS_RECORD).unlink()
    validate(runtime, 4, 1)
    index = runtime.build_docs()
    assert not any(marked(site / page) for page in [*survivors[2:], f"expectations/{SUITE}.html"])
    assert linked_pages(index) == suite_pages | set(result_pages(validation))
