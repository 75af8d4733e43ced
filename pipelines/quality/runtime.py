"""Great Expectations at run time: one context per process, the committed suites, results and
data docs under `<data dir>/validation/`.

`import great_expectations` costs seconds, so it happens here, lazily, once per process (the
first file or mart to validate), never when Dagster loads the code location.

The context is ephemeral but not forgetful:
- suites are read from the committed JSON in `expectations/expectations/` (built by
  `python -m pipelines.quality.build_suites`), never written back;
- validation results go to `<data dir>/validation/results/` (the newest `KEEP_RESULTS` per suite
  are kept), data docs to `<data dir>/validation/docs/index.html`.

The data docs are brought up to date, not rebuilt: GX's `build_data_docs(resource_identifiers=…)`
renders only the pages that are missing (the results stored since the last build, a new suite)
or out of date (a suite whose JSON changed: their SHA-256 are recorded in
`<data dir>/validation/docs_built.json` after each build), and the index whole (every suite,
every kept result). While rendering the index GX deletes the pages of results that are no longer
stored, so a pruned result is neither linked nor left behind. A site without that record, or
rendered by another GX version, is rendered whole.

The committed file context in `expectations/` (great_expectations.yml) is for the data team to
open the same suites in a notebook: `gx.get_context(context_root_dir="expectations")`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.atomic_file import write_text_atomic
from pipelines.quality.offline_docs import make_offline
from pipelines.settings import EXPECTATIONS_DIR

log = logging.getLogger(__name__)

SUITES_DIR = EXPECTATIONS_DIR / "expectations"
DATASOURCE = "finsam"
SITE_NAME = "finsam"
KEEP_RESULTS = 10  # per suite; older results (and their pages) are pruned before docs are built
SAMPLE_ROWS = 5  # offending rows kept per expectation (result's partial_unexpected_index_list)
INDEX_LOG = "index.jsonl"  # one line per validation: what the refresh summary lists
DOCS_RECORD = "docs_built.json"  # what the data docs' pages were rendered from (module docstring)
KEEP_INDEX_LINES = 5000

SEVERITY_CRITICAL, SEVERITY_WARNING, SEVERITY_INFO = "critical", "warning", "info"


def results_dir(validation_dir: Path) -> Path:
    return validation_dir / "results"


def docs_dir(validation_dir: Path) -> Path:
    return validation_dir / "docs"


def docs_index(validation_dir: Path) -> Path:
    return docs_dir(validation_dir) / "index.html"


def _site_store_backend(validation_dir: Path) -> dict[str, str]:
    return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir(validation_dir))}


def load_suite_json(name: str) -> dict[str, Any]:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


# --------------------------------------------------------------------------------------------
# Outcomes: plain data, no GX objects (they go into Dagster metadata, reason files, the summary)


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str  # GX type, e.g. expect_column_values_to_be_between
    column: str | None  # the column(s) it looks at, or None for a table-level expectation
    severity: str  # critical | warning | info
    success: bool
    why: str | None  # the one-line reason (the expectation's notes)
    unexpected_count: int | None = None
    element_count: int | None = None
    sample: tuple[dict[str, Any], ...] = ()  # offending rows: index columns + the value
    error: str | None = None  # the expectation raised instead of evaluating
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.column})" if self.column else self.expectation

    @property
    def blocking(self) -> bool:
        return not self.success and self.severity == SEVERITY_CRITICAL

    @property
    def warning(self) -> bool:
        return not self.success and self.severity != SEVERITY_CRITICAL

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.label,
            "severity": self.severity,
            "unexpected_count": self.unexpected_count,
            "why": self.why,
            **({"error": self.error} if self.error else {}),
        }


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    subject: str  # the file name or the asset key it validated
    rows: int
    expectations: tuple[ExpectationOutcome, ...]
    duration_s: float
    files: int = 1  # the files one GX run validated together (pipelines/quality/files.py)

    @property
    def blocking(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if e.blocking]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if e.warning]

    @property
    def ok(self) -> bool:
        """No blocking failure (warnings allowed)."""
        return not self.blocking


# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """numpy / pandas scalars in GX results -> plain JSON values (dates as ISO text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _exception_message(info: Any) -> str | None:
    """GX puts an expectation's exception either at the top of exception_info or under the id
    of the metric that raised."""
    if not isinstance(info, dict) or not info:
        return None
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for c in candidates:
        if c.get("raised_exception"):
            return str(c.get("exception_message") or "exception")[:300]
    return None


def _outcome_from_result(r: Any) -> ExpectationOutcome:
    cfg = r.expectation_config
    kwargs = dict(cfg.kwargs)
    column = (
        kwargs.get("column")
        or (", ".join(kwargs["column_list"]) if kwargs.get("column_list") else None)
        or (f"{kwargs['column_A']}, {kwargs['column_B']}" if kwargs.get("column_A") else None)
    )
    severity = getattr(cfg, "severity", None)
    severity = getattr(severity, "value", severity) or SEVERITY_CRITICAL
    result = r.result or {}
    error = _exception_message(r.exception_info)
    notes = cfg.notes
    if isinstance(notes, list):
        notes = " ".join(notes)
    sample = tuple(_jsonable(row) for row in (result.get("partial_unexpected_index_list") or [])[:SAMPLE_ROWS])
    if not sample and result.get("partial_unexpected_list"):
        sample = tuple({"value": _jsonable(v)} for v in result["partial_unexpected_list"][:SAMPLE_ROWS])
    return ExpectationOutcome(
        expectation=cfg.type,
        column=column,
        severity=str(severity),
        success=bool(r.success) and error is None,
        why=notes,
        unexpected_count=result.get("unexpected_count"),
        element_count=result.get("element_count"),
        sample=sample,
        error=error,
        kwargs=_jsonable({k: v for k, v in kwargs.items() if k not in ("value_set",)}),
    )


def pandas_for_gx(table: Any) -> Any:
    """An Arrow table as the pandas frame GX validates (every caller of `Runtime.validate` makes
    its frame here).

    - Text columns as categoricals: tens of millions of rows (fordelning, Pro Capita attendance
      at national scale) as one Python string per cell took 3x the memory and 2.5x the time
      (bench/: 6.0 vs 2.0 GiB and 15 vs 6 s for 4.3 M rows of fordelning).
    - Dates and times as datetime64[ns]: GX compares ISO date bounds (e.g. min_value
      "2004-01-01") with a column only at that precision; DuckDB and Polars hand over days, ms
      or us.
    """
    return table.to_pandas(strings_to_categorical=True, date_as_object=False, coerce_temporal_nanoseconds=True)


class Runtime:
    """The GX context of this process for one validation dir (see module docstring)."""

    def __init__(self, validation_dir: Path) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # never phone home from a pipeline
        started = time.perf_counter()
        import great_expectations as gx
        from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

        self._gx = gx
        self.validation_dir = validation_dir
        results_dir(validation_dir).mkdir(parents=True, exist_ok=True)
        config = DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            stores={
                "expectations_store": {
                    "class_name": "ExpectationsStore",
                    "store_backend": {"class_name": "InMemoryStoreBackend"},
                },
                "validation_results_store": {
                    "class_name": "ValidationResultsStore",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(results_dir(validation_dir)),
                    },
                },
                "checkpoint_store": {
                    "class_name": "CheckpointStore",
                    "store_backend": {"class_name": "InMemoryStoreBackend"},
                },
                "validation_definition_store": {
                    "class_name": "ValidationDefinitionStore",
                    "store_backend": {"class_name": "InMemoryStoreBackend"},
                },
            },
            expectations_store_name="expectations_store",
            validation_results_store_name="validation_results_store",
            checkpoint_store_name="checkpoint_store",
            data_docs_sites={
                SITE_NAME: {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": _site_store_backend(validation_dir),
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                }
            },
        )
        self.context = gx.get_context(project_config=config, mode="ephemeral")
        self._datasource = self.context.data_sources.add_pandas(DATASOURCE)
        self._definitions: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.pending_docs = False  # results stored since the last data docs build
        log.info("great_expectations ready in %.1f s", time.perf_counter() - started)

    def _definition(self, suite_name: str) -> Any:
        vd = self._definitions.get(suite_name)
        if vd is None:
            gx = self._gx
            suite = self.context.suites.add(gx.ExpectationSuite(**load_suite_json(suite_name)))
            batch = self._datasource.add_dataframe_asset(suite_name).add_batch_definition_whole_dataframe("whole")
            vd = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
            )
            self._definitions[suite_name] = vd
        return vd

    def validate(
        self,
        suite_name: str,
        frame: Any,  # pandas.DataFrame, from pandas_for_gx
        *,
        subject: str,
        parameters: dict[str, Any] | None = None,
        index_columns: list[str] | None = None,
        rows: int | None = None,
        samples: bool = True,
        files: Sequence[tuple[str, int]] = (),
    ) -> SuiteOutcome:
        """Validate `frame` against the committed suite; store the result for data docs.

        `rows`: the subject's row count when `frame` holds only some of its rows (the file
        suites' value cover, see `pipelines.quality.files`); default `len(frame)`.
        `samples=False`: GX's BASIC result (counts, no index list of offending rows, no value
        counts), a third cheaper per run -- for a run that is only expected to record a pass.
        `files`: (name, rows) of the files a joint run of several small files validates
        (`pipelines.quality.files.validate_file_frames`): when it passes, `index.jsonl` gets a
        line per file."""
        from great_expectations.core.run_identifier import RunIdentifier

        started = time.perf_counter()
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY" if samples else "BASIC",
            "partial_unexpected_count": SAMPLE_ROWS,
        }
        if index_columns and samples:
            result_format["unexpected_index_column_names"] = list(index_columns)
        with self._lock:
            vd = self._definition(suite_name)
            run_id = RunIdentifier(run_name=subject.replace("/", "__"), run_time=dt.datetime.now(dt.UTC))
            result = vd.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=parameters or {},
                result_format=result_format,
                run_id=run_id,
            )
            self.pending_docs = True
        outcome = SuiteOutcome(
            suite=suite_name,
            subject=subject,
            rows=len(frame) if rows is None else rows,
            expectations=tuple(_outcome_from_result(r) for r in result.results),
            duration_s=time.perf_counter() - started,
        )
        if not files:
            self._log_index(outcome, [(outcome.subject, outcome.rows)])
        elif outcome.ok and not outcome.warnings:
            self._log_index(outcome, files)
        # else a run per file follows (validate_file_frames): the index records those
        return outcome

    def runner(
        self,
        suite_name: str,
        *,
        subject: str,
        rows: int,
        index_columns: list[str],
        parameters: dict[str, Any] | None = None,
        files: Sequence[tuple[str, int]] = (),
    ) -> Callable[..., SuiteOutcome]:
        """`run(frame, samples=...)`: `validate` of a Polars frame of the suite's columns, as
        `pipelines.quality.files.validated_on_cover` calls it (file and mart suites alike)."""

        def run(frame: Any, *, samples: bool = True) -> SuiteOutcome:
            return self.validate(
                suite_name,
                pandas_for_gx(frame.to_arrow()),
                subject=subject,
                parameters=parameters,
                index_columns=index_columns,
                rows=rows,
                samples=samples,
                files=files,
            )

        return run

    def _log_index(self, outcome: SuiteOutcome, files: Sequence[tuple[str, int]]) -> None:
        at = dt.datetime.now().isoformat(timespec="seconds")
        lines = [
            {
                "at": at,
                "suite": outcome.suite,
                "subject": subject,
                "rows": rows,
                "ok": outcome.ok,
                "blocking": [e.label for e in outcome.blocking],
                "warnings": [e.label for e in outcome.warnings],
                "seconds": round(outcome.duration_s, 3),
                **({"run": outcome.subject} if subject != outcome.subject else {}),
            }
            for subject, rows in files
        ]
        with (self.validation_dir / INDEX_LOG).open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))

    def build_docs(self) -> Path:
        """Prune old results, then bring the data docs site up to date (module docstring);
        returns its index.html."""
        with self._lock:
            started = time.perf_counter()
            # Every suite gets a page, also those not validated in this process.
            for name in suite_names():
                self._definition(name)
            pruned = prune_results(self.validation_dir)
            _trim_index(self.validation_dir)
            record = {
                "great_expectations": self._gx.__version__,
                "suites": {name: _suite_digest(name) for name in suite_names()},
            }
            stale = self._stale_pages(record)
            if stale is None or stale or pruned:
                # A list renders those pages and the index; None renders every page (also when
                # pruning alone changed the index: GX renders no index without a page).
                self.context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=stale or None)
                make_offline(docs_dir(self.validation_dir))  # CDN assets -> copies in the site
                _write_json(self.validation_dir / DOCS_RECORD, record)
            self.pending_docs = False
            log.info(
                "data docs: %s pages rendered in %.1f s",
                "all" if stale is None else len(stale),
                time.perf_counter() - started,
            )
        return docs_index(self.validation_dir)

    def _stale_pages(self, record: dict[str, Any]) -> list[Any] | None:
        """The suites and results whose pages are missing or out of date; None: all of them."""
        from great_expectations.data_context.store.html_site_store import HtmlSiteStore

        built = _read_json(self.validation_dir / DOCS_RECORD)
        if (
            built is None
            or built.get("great_expectations") != record["great_expectations"]
            or not docs_index(self.validation_dir).exists()
        ):
            return None
        site = HtmlSiteStore(store_backend=_site_store_backend(self.validation_dir))
        changed = {name for name, digest in record["suites"].items() if built.get("suites", {}).get(name) != digest}
        suites = [
            key
            for key in self.context.expectations_store.list_keys()
            if key.name in changed or site.get_url_for_resource(key) is None
        ]
        results = [
            key for key in self.context.validation_results_store.list_keys() if site.get_url_for_resource(key) is None
        ]
        return suites + results


def _suite_digest(name: str) -> str:
    return hashlib.sha256((SUITES_DIR / f"{name}.json").read_bytes()).hexdigest()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _write_json(path: Path, value: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(value, indent=1, sort_keys=True))


def prune_results(validation_dir: Path, keep: int = KEEP_RESULTS) -> int:
    """Keep the newest `keep` results per suite (results/<suite>/<run name>/<run time>/…);
    returns how many were removed."""
    root = results_dir(validation_dir)
    if not root.exists():
        return 0
    removed = 0
    for suite_dir in (p for p in root.iterdir() if p.is_dir()):
        runs = sorted(
            (t for name_dir in suite_dir.iterdir() if name_dir.is_dir() for t in name_dir.iterdir() if t.is_dir()),
            key=lambda t: t.name,
            reverse=True,
        )
        for old in runs[keep:]:
            shutil.rmtree(old, ignore_errors=True)
            removed += 1
            if not any(old.parent.iterdir()):
                old.parent.rmdir()
    return removed


def _trim_index(validation_dir: Path, keep: int = KEEP_INDEX_LINES) -> None:
    path = validation_dir / INDEX_LOG
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if len(lines) > keep:
            write_text_atomic(path, "".join(lines[-keep:]))


_RUNTIMES: dict[Path, Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def get_runtime(validation_dir: Path) -> Runtime:
    """The process' runtime for this validation dir (created, and GX imported, on first use)."""
    key = validation_dir.resolve()
    with _RUNTIMES_LOCK:
        rt = _RUNTIMES.get(key)
        if rt is None:
            rt = _RUNTIMES[key] = Runtime(key)
        return rt


def build_docs_if_pending(validation_dir: Path) -> Path | None:
    """Build data docs when this process stored results since the last build (the CLI calls it
    after a run whose mart checks never ran, e.g. because dbt failed). No GX import otherwise."""
    rt = _RUNTIMES.get(validation_dir.resolve())
    if rt is None or not rt.pending_docs:
        return None
    return rt.build_docs()
