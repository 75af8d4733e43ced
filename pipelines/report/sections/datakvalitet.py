"""The lines of the report's 'Om underlaget' box."""

from __future__ import annotations

from pipelines.report.sections.shared import GroupTotals, ReportData


def datakvalitet(data: ReportData) -> list[str]:
    """Short lines for the 'Om underlaget' box."""
    suppress = data.suppress
    out = []
    if data.reader.has("datakvalitet"):
        fel = GroupTotals(data.rows("datakvalitet"))["felregistreringar"]
        if fel is not None:
            out.append(
                f"Felregistreringar i SUS med start under perioden (ingår inte i något mått): {suppress.n(fel)} (källa: marts.datakvalitet)."
            )
    else:
        out.append("marts.datakvalitet finns inte i bi.duckdb.")
    return out
