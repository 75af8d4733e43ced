"""Files for other systems, written from the published marts in bi.duckdb after each publish."""
