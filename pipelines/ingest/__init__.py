"""Ingest engine: landing files -> validated, pseudonymised `raw.<kind>` tables in DuckDB.

Plain Python (no Dagster); the Dagster assets wrap `ingest_kind`. See load.py for the flow,
readers.py / parse.py for the forgiving-in-form, strict-in-meaning rules of docs/sources.md, and
personnummer.py for validation and pseudonymisation. The source specs it parses by are
pipelines/sources/spec.py (quality builds its suites from them too); `load_specs` is re-exported here.
"""

from pipelines.ingest.load import (
    IngestReport,
    LoadedFile,
    QuarantinedFile,
    SkippedFile,
    ensure_ledger,
    ensure_raw_table,
    ingest_kind,
    registered_insats_ids,
)
from pipelines.sources.spec import ColumnSpec, SourceSpec, load_specs

__all__ = [
    "ColumnSpec",
    "IngestReport",
    "LoadedFile",
    "QuarantinedFile",
    "SkippedFile",
    "SourceSpec",
    "ensure_ledger",
    "ensure_raw_table",
    "ingest_kind",
    "load_specs",
    "registered_insats_ids",
]
