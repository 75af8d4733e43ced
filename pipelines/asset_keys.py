"""Every asset key and layer name that more than one module needs, defined once.

The flow's keys: ingest writes `raw/<kind>`; dbt's models and seeds are `<layer>/<name>`,
where the layer is the node's schema in dbt_project/dbt_project.yml (the translator in
pipelines/dbt_project.py keys and groups them by it); then publish, docs, report and
export. This module imports nothing of the project, so any module can use it without an
import cycle. Changing a key renames an asset: the graph snapshot
(tests/snapshots/asset_graph.json) fails until it is regenerated on purpose.
"""

import dagster as dg

# Layers: the schemas of warehouse.duckdb and the first part of each table asset's key.
RAW = "raw"
STAGING = "staging"
INTERMEDIATE = "intermediate"
MARTS = "marts"
SEEDS = "seeds"
DBT_LAYERS = (STAGING, INTERMEDIATE, MARTS, SEEDS)  # the groups dagster-dbt's assets fall into

PUBLISH_KEY = dg.AssetKey(["publish", "bi_duckdb"])
POSTGRES_KEY = dg.AssetKey(["publish", "postgres"])
DOCS_KEY = dg.AssetKey(["docs", "dbt_docs"])
REPORT_KEY = dg.AssetKey(["report", "rapporter"])
EXPORT_KEY = dg.AssetKey(["export", "uppfoljning_finsam"])


def raw_key(kind: str) -> dg.AssetKey:
    """The ingest asset of a source kind; the dbt sources point at it (meta.dagster.asset_key)."""
    return dg.AssetKey([RAW, kind])
