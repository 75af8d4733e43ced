"""Data quality: Great Expectations suites on every landing file and every mart, and cross-file
rules, as Dagster asset checks that stop publish when a number would be wrong.

- `build_suites`: suites.yml + source specs + seeds → expectations/expectations/*.json
- `runtime`: the lazily imported GX context, results and data docs under <data dir>/validation/
- `files`: a kind's suite on one parsed file frame; ingest runs it on each file before its rows
  reach raw and quarantines a file that fails (pipelines/ingest/file_suite.py)
- `checks`: the mart suites and the cross-file rules (rules/*.sql) as Dagster asset checks
- `summary`: what `finsam refresh` prints about the checks

Nothing here imports pipelines.ingest (source specs are pipelines/sources/spec.py), and nothing
imports great_expectations at module level (it costs seconds); see README.md.
"""
