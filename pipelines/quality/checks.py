"""The quality gates on the marts, as Dagster asset checks (the UI lists each with its metadata).

- `mart_suites`: one check `gx_suite` per mart with a suite (`marts_<mart>` in expectations/):
  the mart is read from warehouse.duckdb into pandas (plus the suite's derived and coverage
  columns, `meta.finsam.frame_sql`) and validated by Great Expectations. Blocking: a failed
  critical expectation is an ERROR and publish (and everything else downstream of the mart) does
  not run; failed warnings only give a WARN. At the end the GX data docs are rebuilt.
- `cross_file_rules`: rules/<name>.sql, each a query returning the offending rows (none = pass),
  for what no single file can show. Its header says which asset it guards, what it reads, its
  severity (ERROR blocks, WARN publishes) and why.

Blocking gates sit on the marts because Dagster gates only the direct downstream of a checked
asset: a check on a staging model would not stop `publish/bi_duckdb`, which reads the marts.

It is one module because both kinds of gate become the same list of Dagster asset checks
(`build_quality_checks`) and show their results the same way (metadata tables, sample rows).
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at definition time.

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from pipelines.dbt_project import dbt_project
from pipelines.nightly_scope import changes_since, rows_changed, scoped_marts
from pipelines.privacy import redact, shown
from pipelines.publish_record import last_published
from pipelines.quality.files import ONE_VALUE_EXPECTATIONS, validated_on_cover
from pipelines.quality.runtime import (
    SAMPLE_ROWS as SUITE_SAMPLE_ROWS,
)
from pipelines.quality.runtime import (
    SuiteOutcome,
    get_runtime,
    load_suite_json,
    pandas_for_gx,
    suite_names,
)
from pipelines.settings import get_settings

RULES_DIR = Path(__file__).with_name("rules")
GX_CHECK_NAME = "gx_suite"
SAMPLE_ROWS = 10
POOL = "warehouse_writer"  # the warehouse's pool: never open it while another run writes it
_HIDDEN_COLUMNS = re.compile(r"fodelsedatum|personnummer|personnr", re.IGNORECASE)


def _key(path: str) -> dg.AssetKey:
    return dg.AssetKey(path.strip().split("/"))


def _md_table(rows: Sequence[dict[str, Any]], limit: int = SAMPLE_ROWS) -> str:
    """A markdown table of pseudonymous sample rows (birth dates and anything named like a
    personnummer are left out; every cell is redacted)."""
    rows = list(rows)[:limit]
    if not rows:
        return "_no rows_"
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if not _HIDDEN_COLUMNS.search(c)]

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(shown(r.get(c)).replace("|", "\\|") for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _plain_rows(rows: Sequence[dict[str, Any]], limit: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    out = []
    for r in list(rows)[:limit]:
        out.append({k: (None if v is None else redact(str(v))) for k, v in r.items() if not _HIDDEN_COLUMNS.search(k)})
    return out


# --------------------------------------------------------------------------------------------
# Mart suites (Great Expectations)


@dataclass(frozen=True)
class MartSuite:
    suite: str
    asset_key: dg.AssetKey
    frame_sql: str
    index_columns: tuple[str, ...]
    description: str


def mart_suites() -> list[MartSuite]:
    out = []
    for name in suite_names():
        suite = load_suite_json(name)
        meta = suite["meta"]["finsam"]
        if meta.get("layer") != "mart":
            continue
        critical = sum(1 for e in suite["expectations"] if e["severity"] == "critical")
        out.append(
            MartSuite(
                suite=name,
                asset_key=dg.AssetKey(meta["asset_key"]),
                frame_sql=meta["frame_sql"],
                index_columns=tuple(meta["index_columns"]),
                description=(
                    f"Great Expectations suite {name} (expectations/expectations/{name}.json): "
                    f"{len(suite['expectations'])} expectations, {critical} of them blocking. "
                    "Reconciliation identities, shares in [0, 1], one row per key and, where the mart "
                    "is per insats and period, a row for every insats × period."
                ),
            )
        )
    return out


def suite_check_result(outcome: SuiteOutcome, asset_key: dg.AssetKey, docs: Path | None) -> dg.AssetCheckResult:
    failed = [*outcome.blocking, *outcome.warnings]
    severity = dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN
    sample_rows = [{"expectation": e.label, **row} for e in failed for row in e.sample]
    metadata: dict[str, Any] = {
        "suite": outcome.suite,
        "rows_validated": outcome.rows,
        "expectations": len(outcome.expectations),
        "failed_blocking": dg.MetadataValue.json([e.as_dict() for e in outcome.blocking]),
        "failed_warning": dg.MetadataValue.json([e.as_dict() for e in outcome.warnings]),
        "results": dg.MetadataValue.md(
            _md_table(
                [
                    {
                        "expectation": e.label,
                        "severity": e.severity,
                        "passed": e.success,
                        "unexpected": e.unexpected_count,
                        "why": e.why,
                    }
                    for e in outcome.expectations
                ],
                limit=len(outcome.expectations),
            )
        ),
        "duration_s": round(outcome.duration_s, 3),
    }
    if failed:
        metadata["sample"] = dg.MetadataValue.md(_md_table(sample_rows))
        metadata["sample_rows"] = dg.MetadataValue.json(_plain_rows(sample_rows))
    if docs is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs))
    description = (
        "; ".join(f"{e.label}: {e.unexpected_count} rows ({e.severity})" for e in failed)
        if failed
        else f"{len(outcome.expectations)} expectations passed"
    )
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=GX_CHECK_NAME,
        passed=not failed,
        severity=severity,
        metadata=metadata,
        description=description[:1000],
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def arrow_with_categories(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The rows of `sql` as an Arrow table whose text columns are dictionary-encoded (pandas
    categoricals), cast to ENUM inside DuckDB.

    Mart text columns are keys with a few hundred values at most, but tens of millions of rows
    (fordelning: 39 M at national scale). As strings, pandas would hold one Python string per
    cell (gigabytes for that one mart); as ENUM codes DuckDB sends a small integer per cell.
    The values come from one pass over the same rows."""
    rel = con.sql(sql)
    text = [c for c, t in zip(rel.columns, rel.types, strict=True) if str(t) == "VARCHAR"]
    if not text:
        return rel.to_arrow_table()
    distinct = con.execute(
        "select "
        + ", ".join(f"list(distinct {_sql_name(c)}) filter (where {_sql_name(c)} is not null)" for c in text)
        + f" from ({sql})"
    ).fetchone()
    values = dict(zip(text, distinct, strict=True))
    select = ", ".join(
        f"cast({_sql_name(c)} as enum({', '.join(_sql_text(v) for v in sorted(values[c] or ['']))})) as {_sql_name(c)}"
        if c in values
        else _sql_name(c)
        for c in rel.columns
    )
    return con.sql(f"select {select} from ({sql})").to_arrow_table()


# A mart frame above this many rows is validated one group of whole förbund at a time: GX's
# one-row-per-key check builds a second copy of the key columns in pandas, which on tens of
# millions of rows costs gigabytes more than the frame itself. Every mart expectation is about one row, or about the
# key, which holds forbund, so the slices' results add up to the whole's.
SLICE_ROWS = 4_000_000


def _sliceable(suite: str) -> bool:
    """Every expectation holds per förbund: about one row (no `mostly` or other argument that
    counts rows), or one row per a key that has forbund."""
    return all(
        set(e["kwargs"]) <= ONE_VALUE_EXPECTATIONS.get(e["type"], frozenset())
        or (e["type"] == "expect_compound_columns_to_be_unique" and "forbund" in e["kwargs"]["column_list"])
        for e in load_suite_json(suite)["expectations"]
    )


def forbund_slices(table: Any, max_rows: int) -> list[Any]:
    """The Arrow `table` (forbund dictionary-encoded, as from `arrow_with_categories`) cut into
    groups of whole förbund of at most `max_rows` rows (a bigger förbund alone), in förbund
    order. Cut in Arrow, before pandas, so that only one slice at a time is a pandas frame."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = table.unify_dictionaries()
    column = table.column("forbund")
    indices = pa.chunked_array([c.indices for c in column.chunks], type=column.type.index_type)
    names = column.chunk(0).dictionary.to_pylist()
    counts = {c["values"]: c["counts"] for c in pc.value_counts(indices).to_pylist()}
    groups: list[list[int]] = [[]]
    size = 0
    for code in sorted(counts, key=lambda c: names[c]):
        if groups[-1] and size + counts[code] > max_rows:
            groups.append([])
            size = 0
        groups[-1].append(code)
        size += counts[code]
    return [table.filter(pc.is_in(indices, value_set=pa.array(g, type=indices.type))) for g in groups]


def merge_outcomes(suite: str, subject: str, parts: Sequence[SuiteOutcome]) -> SuiteOutcome:
    """One outcome from the outcomes of the slices of one frame (same suite, same order)."""
    merged = []
    for per_slice in zip(*(p.expectations for p in parts), strict=True):
        first = per_slice[0]
        counts = [e.unexpected_count for e in per_slice if e.unexpected_count is not None]
        elements = [e.element_count for e in per_slice if e.element_count is not None]
        merged.append(
            replace(
                first,
                success=all(e.success for e in per_slice),
                unexpected_count=sum(counts) if counts else None,
                element_count=sum(elements) if elements else None,
                sample=tuple(row for e in per_slice for row in e.sample)[:SUITE_SAMPLE_ROWS],
                error=next((e.error for e in per_slice if e.error), None),
            )
        )
    return SuiteOutcome(
        suite=suite,
        subject=subject,
        rows=sum(p.rows for p in parts),
        expectations=tuple(merged),
        duration_s=sum(p.duration_s for p in parts),
    )


CHANGED_KEYS = "changed_keys"  # a temp table: the (forbund, period) pairs a night changed


def select_changed_keys(con: duckdb.DuckDBPyConnection, where: str, params: list) -> None:
    """Every (forbund, period_typ, period_id) a night changed, into temp table CHANGED_KEYS:
    `where` is stated on forbund and period_slut (pipelines/nightly_scope.py `rows_changed`)."""
    con.execute(
        f"create or replace temp table {CHANGED_KEYS} as select forbund_list.forbund, p.period_typ, p.period_id "
        "from marts.dim_period as p cross join (select distinct forbund from marts.dim_insats) as forbund_list "
        f"where {where}",
        params,
    )


def changed_rows_sql(frame_sql: str, mart: str) -> str:
    """The rows of a suite's frame (rows with forbund, period_typ and period_id) that a night
    changed. Coverage grids are cut the same way as the mart, so they still pair up.

    A frame that reads its mart twice (a coverage grid's anti join reads the mart's keys again)
    gets the mart cut inside too, before that work; DuckDB pushes the cut into a frame that
    reads the mart once by itself. A frame row depends only on the mart's rows of its own
    förbund and period, as every mart suite's frame is written (per row, or per key against
    the grid), so the result is the same."""
    reference = re.compile(rf"\bmarts\.{mart}\b")
    if len(reference.findall(frame_sql)) > 1:
        changed = f"(select * from marts.{mart} semi join {CHANGED_KEYS} using (forbund, period_typ, period_id))"
        frame_sql = reference.sub(lambda _: changed, frame_sql)
    return f"select frame.* from ({frame_sql}) as frame semi join {CHANGED_KEYS} using (forbund, period_typ, period_id)"


def validate_mart(
    con: duckdb.DuckDBPyConnection, ms: MartSuite, validation_dir: Path, run_name: str, frame_sql: str | None = None
) -> SuiteOutcome:
    """Validate the mart's suite on `frame_sql` (default the suite's whole frame) as a file's suite
    is validated (pipelines/quality/files.py): Polars checks every row, GX validates the value
    cover; GX validates every row only when something failed or may have."""
    table = arrow_with_categories(con, frame_sql or ms.frame_sql)
    runtime = get_runtime(validation_dir)
    index = list(ms.index_columns)
    frame = pl.from_arrow(table)
    run = runtime.runner(ms.suite, subject=run_name, rows=table.num_rows, index_columns=index)
    outcome = validated_on_cover(frame, load_suite_json(ms.suite)["expectations"], {}, run, subject=run_name)
    del frame
    if outcome is not None:
        return outcome
    sliceable = "forbund" in table.column_names and table.column("forbund").null_count == 0 and _sliceable(ms.suite)
    if table.num_rows <= SLICE_ROWS or not sliceable:
        return runtime.validate(ms.suite, pandas_for_gx(table), subject=run_name, index_columns=index)
    slices = forbund_slices(table, SLICE_ROWS)
    del table
    parts = []
    for i in range(len(slices)):
        part, slices[i] = slices[i], None  # one slice at a time in pandas
        parts.append(
            runtime.validate(
                ms.suite, pandas_for_gx(part), subject=f"{run_name} förbund {i + 1}/{len(slices)}", index_columns=index
            )
        )
    return merge_outcomes(ms.suite, run_name, parts)


def build_mart_suite_checks() -> dg.AssetChecksDefinition:
    suites = mart_suites()
    by_key = {dg.AssetCheckKey(ms.asset_key, GX_CHECK_NAME): ms for ms in suites}

    @dg.multi_asset_check(
        name="mart_suites",
        specs=[
            dg.AssetCheckSpec(GX_CHECK_NAME, asset=ms.asset_key, blocking=True, description=ms.description)
            for ms in suites
        ],
        can_subset=True,
        pool=POOL,
        description="Great Expectations suites on every mart; blocking on failed critical expectations. Builds the GX data docs.",
    )
    def mart_suites_check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        settings = get_settings()
        selected = [by_key[k] for k in by_key if k in context.selected_asset_check_keys]
        outcomes: list[tuple[MartSuite, SuiteOutcome]] = []
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            # After nights: the rows of the marts a night rebuilds in part that changed since the
            # last publish; the others were validated before it (pipelines/nightly_scope.py).
            changes = changes_since(con, (last_published(settings) or {}).get("build_id"))
            scoped = {} if changes.full else scoped_marts(dbt_project.manifest_path)
            for ms in selected:
                frame_sql, which = None, ""
                mart = scoped.get(ms.asset_key.path[-1])
                if mart is not None:
                    select_changed_keys(con, *rows_changed(changes, mart))
                    frame_sql, which = changed_rows_sql(ms.frame_sql, mart.name), " changed since the last publish"
                outcome = validate_mart(con, ms, settings.validation_dir, context.run.run_id, frame_sql)
                context.log.info(
                    f"{ms.suite}: {outcome.rows} rows{which}, {len(outcome.expectations)} expectations, "
                    f"{len(outcome.blocking)} blocking and {len(outcome.warnings)} warning failures "
                    f"({outcome.duration_s:.2f} s)"
                )
                outcomes.append((ms, outcome))
        started = time.perf_counter()
        docs = get_runtime(settings.validation_dir).build_docs()
        context.log.info(f"data docs: {docs} ({time.perf_counter() - started:.1f} s)")
        for ms, outcome in outcomes:
            yield suite_check_result(outcome, ms.asset_key, docs)

    return mart_suites_check


# --------------------------------------------------------------------------------------------
# Cross-file rules (SQL)


@dataclass(frozen=True)
class Rule:
    name: str
    asset_key: dg.AssetKey
    reads: tuple[dg.AssetKey, ...]
    severity: dg.AssetCheckSeverity
    why: str
    sql: str
    path: Path

    @property
    def blocking(self) -> bool:
        return self.severity == dg.AssetCheckSeverity.ERROR


_HEADER = re.compile(r"^--\s*(name|asset|reads|severity|why):\s*(.+?)\s*$")


def load_rule(path: Path) -> Rule:
    sql = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in sql.splitlines():
        m = _HEADER.match(line)
        if m:
            header[m.group(1)] = m.group(2)
        elif line.strip() and not line.startswith("--"):
            break
    missing = {"name", "asset", "severity", "why"} - set(header)
    if missing:
        raise ValueError(f"{path.name}: header lacks {sorted(missing)}")
    if header["name"] != path.stem:
        raise ValueError(f"{path.name}: name {header['name']!r} must equal the file name")
    return Rule(
        name=header["name"],
        asset_key=_key(header["asset"]),
        reads=tuple(_key(k) for k in header.get("reads", "").split(",") if k.strip()),
        severity=dg.AssetCheckSeverity(header["severity"].upper()),
        why=header["why"],
        sql=sql,
        path=path,
    )


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    return [load_rule(p) for p in sorted(rules_dir.glob("*.sql"))]


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    count: int
    sample: list[dict[str, Any]]
    files: list[str]
    duration_s: float


def run_rule(con: duckdb.DuckDBPyConnection, rule: Rule) -> RuleOutcome:
    started = time.perf_counter()
    # One pass: the count rides along on each sample row (no rows: count 0).
    rel = con.sql(
        f"select *, count(*) over () as _offending from ({rule.sql.rstrip().rstrip(';')}) limit {SAMPLE_ROWS}"
    )
    columns = rel.columns[:-1]
    rows = rel.fetchall()
    count = rows[0][-1] if rows else 0
    sample = [dict(zip(columns, row[:-1], strict=True)) for row in rows]
    files = sorted({str(v) for r in sample for k, v in r.items() if k.startswith(("fil", "_source_file")) and v})
    return RuleOutcome(rule, int(count), sample, files, time.perf_counter() - started)


def rule_check_result(o: RuleOutcome) -> dg.AssetCheckResult:
    r = o.rule
    metadata: dict[str, Any] = {
        "offending_rows": o.count,
        "severity_policy": "blocks publish" if r.blocking else "warning: published, listed in the summary",
        "why": r.why,
        "rule_sql": dg.MetadataValue.path(str(r.path)),
        "reads": [k.to_user_string() for k in r.reads],
        "duration_s": round(o.duration_s, 3),
    }
    if o.count:
        metadata["sample"] = dg.MetadataValue.md(_md_table(o.sample))
        metadata["sample_rows"] = dg.MetadataValue.json(_plain_rows(o.sample))
        metadata["source_files"] = o.files
    return dg.AssetCheckResult(
        asset_key=r.asset_key,
        check_name=r.name,
        passed=o.count == 0,
        severity=r.severity,
        metadata=metadata,
        description=(
            f"{o.count} offending row{'s' if o.count != 1 else ''}: {r.why}" if o.count else "no offending rows"
        )[:1000],
    )


def build_rule_checks(rules: Sequence[Rule] | None = None) -> dg.AssetChecksDefinition:
    rules = list(rules if rules is not None else load_rules())
    by_key = {dg.AssetCheckKey(r.asset_key, r.name): r for r in rules}

    @dg.multi_asset_check(
        name="cross_file_rules",
        specs=[
            dg.AssetCheckSpec(
                r.name,
                asset=r.asset_key,
                blocking=r.blocking,
                description=f"[{r.severity.value}] {r.why} (pipelines/quality/rules/{r.path.name})",
                additional_deps=list(r.reads),
            )
            for r in rules
        ],
        can_subset=True,
        pool=POOL,
        description="Rules across files and sources (pipelines/quality/rules/*.sql): ERROR rules block publish, WARN rules are listed.",
    )
    def cross_file_rules(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        settings = get_settings()
        selected = [by_key[k] for k in by_key if k in context.selected_asset_check_keys]
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            outcomes = [run_rule(con, r) for r in selected]
        for o in outcomes:
            level = (
                context.log.info if o.count == 0 else (context.log.error if o.rule.blocking else context.log.warning)
            )
            level(
                f"{o.rule.name} on {o.rule.asset_key.to_user_string()}: {o.count} offending rows ({o.duration_s:.2f} s)"
            )
            yield rule_check_result(o)

    return cross_file_rules


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    """Every quality asset check, for pipelines/definitions.py."""
    return [build_mart_suite_checks(), build_rule_checks()]
