"""What `finsam refresh` prints about data quality (pipelines/run.py calls `summarize`).

From the run's asset check evaluations (the GX mart suites, the cross-file rules and the dbt
tests, all Dagster asset checks) and from `<data dir>/validation/index.jsonl` (the file suites
run at ingest): how many checks ran, passed, warned and failed; for each failure or warning its
name, asset and a sample of offending rows (pseudonymous keys only); the data docs path.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.privacy import redact, shown
from pipelines.quality.runtime import INDEX_LOG, build_docs_if_pending, docs_index
from pipelines.settings import DBT_PROJECT_DIR, Settings

log = logging.getLogger(__name__)

SAMPLE_LINES = 5


@dataclass(frozen=True)
class CheckLine:
    asset: str
    name: str
    passed: bool
    severity: str  # ERROR | WARN
    description: str | None
    sample: tuple[dict[str, Any], ...] = ()
    failed_rows: int | None = None
    dbt_unique_id: str | None = None

    @property
    def outcome(self) -> str:
        if self.passed:
            return "passed"
        return "FAILED" if self.severity == "ERROR" else "warned"


@dataclass
class QualitySummary:
    checks: list[CheckLine] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # index.jsonl lines of this run
    data_docs: Path | None = None

    @property
    def failed(self) -> list[CheckLine]:
        return [c for c in self.checks if c.outcome == "FAILED"]

    @property
    def warned(self) -> list[CheckLine]:
        return [c for c in self.checks if c.outcome == "warned"]

    def lines(self) -> list[str]:
        out: list[str] = []
        passed = sum(1 for c in self.checks if c.passed)
        out.append(
            f"Data quality: {len(self.checks)} checks ran: {passed} passed, "
            f"{len(self.warned)} warned, {len(self.failed)} failed (blocking)"
        )
        if self.files:
            blocked = [f for f in self.files if not f["ok"]]
            warned = [f for f in self.files if f["ok"] and f["warnings"]]
            out.append(
                f"  file suites: {len(self.files)} file{'s' if len(self.files) != 1 else ''} validated at ingest, {len(blocked)} quarantined "
                f"by a suite, {len(warned)} with warnings"
            )
            for f in blocked:
                out.append(f"    QUARANTINED {f['subject']} ({f['suite']}): {', '.join(f['blocking'])}")
            for f in warned:
                out.append(f"    warned {f['subject']} ({f['suite']}): {', '.join(f['warnings'])}")
        for c in [*self.failed, *self.warned]:
            detail = c.description or (f"{c.failed_rows} failing rows" if c.failed_rows is not None else "")
            out.append(f"  {c.outcome} check {c.name} on {c.asset}" + (f": {_clip(detail)}" if detail else ""))
            out.extend(f"      {line}" for line in _sample_lines(c.sample))
        if self.data_docs is not None:
            out.append(f"  data docs {self.data_docs}")
        return out


def _clip(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _sample_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for row in rows:
        line = "· " + ", ".join(f"{k}={_short(v)}" for k, v in row.items())
        if line not in lines:
            lines.append(line)
        if len(lines) == SAMPLE_LINES:
            break
    return lines


def _short(value: Any) -> str:
    text = shown(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _metadata_value(md: Any) -> Any:
    return getattr(md, "value", md)


def check_lines(events: Iterable[Any]) -> list[CheckLine]:
    """One line per asset check evaluation in the run's events."""
    lines = []
    for e in events:
        if e.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        ev = e.event_specific_data
        md = ev.metadata or {}
        sample = _metadata_value(md.get("sample_rows")) or []
        failed_rows = _metadata_value(md.get("offending_rows"))
        if failed_rows is None:
            failed_rows = _metadata_value(md.get("dagster_dbt/failed_row_count"))
        lines.append(
            CheckLine(
                asset=ev.asset_key.to_user_string(),
                name=ev.check_name,
                passed=ev.passed,
                severity=ev.severity.value,
                description=ev.description,
                sample=tuple(sample) if isinstance(sample, list) else (),
                failed_rows=failed_rows,
                dbt_unique_id=_metadata_value(md.get("unique_id")),
            )
        )
    return lines


def file_validations(validation_dir: Path, since: dt.datetime) -> list[dict[str, Any]]:
    path = validation_dir / INDEX_LOG
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("suite", "").startswith("raw_") and dt.datetime.fromisoformat(row["at"]) >= since.replace(
            microsecond=0
        ):
            out.append(row)
    return out


def dbt_test_sample(settings: Settings, run_id: str, unique_id: str, limit: int = SAMPLE_LINES) -> list[dict[str, Any]]:
    """The first rows a failing dbt test returns, from the compiled SQL of this run's `dbt build`
    (target/finsam_dbt_assets-<run>-*/run_results.json), run read-only on warehouse.duckdb.
    Best effort: [] when anything is missing."""
    import duckdb

    try:
        for results_path in (DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*/run_results.json"):
            results = json.loads(results_path.read_text(encoding="utf-8"))
            for r in results.get("results", []):
                if r.get("unique_id") == unique_id and r.get("compiled_code"):
                    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
                        rel = con.sql(f"select * from ({r['compiled_code']}) limit {limit}")
                        columns = rel.columns
                        return [
                            {k: v for k, v in zip(columns, row, strict=True) if "fodelsedatum" not in k}
                            for row in rel.fetchall()
                        ]
    except Exception as exc:  # noqa: BLE001 - a summary must never fail the refresh
        log.debug("no sample for %s: %s", unique_id, exc)
    return []


def summarize(events: Sequence[Any], settings: Settings, run_id: str, started: dt.datetime) -> QualitySummary:
    checks = check_lines(events)
    enriched = []
    for c in checks:
        if not c.passed and not c.sample and c.dbt_unique_id:
            sample = dbt_test_sample(settings, run_id, c.dbt_unique_id)
            c = CheckLine(
                **{**c.__dict__, "sample": tuple({k: redact(str(v)) for k, v in row.items()} for row in sample)}
            )
        enriched.append(c)
    docs = None
    try:
        docs = build_docs_if_pending(settings.validation_dir)  # the mart checks did not run
    except Exception as exc:  # noqa: BLE001 - the data docs are an aid; they must never fail the refresh
        log.warning("data docs not rebuilt: %s", exc)
    index = docs or docs_index(settings.validation_dir)
    return QualitySummary(
        checks=enriched,
        files=file_validations(settings.validation_dir, started),
        data_docs=index if index.exists() else None,
    )
