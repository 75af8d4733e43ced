"""What every asset shows in the UI besides its data: owner and freshness policy.

Applied once, over all asset definitions, in pipelines/definitions.py (`apply_ops_specs`):
- owner `team:data` on every asset that has none (the dbt assets);
- a freshness policy on every mart and on `publish/bi_duckdb`: stale (FAIL) when the last
  materialisation is older than 26 hours, i.e. when one nightly refresh (04:30) was missed,
  with two hours of slack for a slow or retried run. The daemon evaluates it (`freshness` is on
  by default in the instance) and the UI shows it on each asset.

Column schemas are attached where each asset is defined: the raw assets' in pipelines/ingest/assets.py,
the dbt assets' by dagster-dbt from the model YAML.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from pipelines.asset_keys import MARTS, PUBLISH_KEY

OWNERS = ["team:data"]
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26))
FRESH_KEYS = {PUBLISH_KEY}


def with_ops_attributes(spec: dg.AssetSpec) -> dg.AssetSpec:
    if not spec.owners:
        spec = spec.replace_attributes(owners=OWNERS)
    if (spec.key.path[0] == MARTS or spec.key in FRESH_KEYS) and spec.freshness_policy is None:
        spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
    return spec


def apply_ops_specs(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    return list(dg.map_asset_specs(with_ops_attributes, assets))
