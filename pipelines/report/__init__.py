"""The half-year and annual report: Swedish HTML with tables and charts, from bi.duckdb's marts.

    render_report(bi_path, out_dir, forbund, insats_id, period_id, suppression_threshold) -> Path
    render_latest(bi_path, out_dir, threshold) -> list[Path]

See README.md in this folder for the content, the small-count rule and the comparison period.
"""

from pipelines.report.render import render_latest, render_report, report_path, safe_name

__all__ = ["render_latest", "render_report", "report_path", "safe_name"]
