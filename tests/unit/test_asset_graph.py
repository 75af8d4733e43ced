"""Snapshot of the asset graph: keys, groups and dependencies.

An accidental rewiring (a dbt source that loses its link to an ingest asset, a mart that no
longer feeds publish) changes this snapshot and fails CI. After an intended change, refresh it:
    FINSAM_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_asset_graph.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines.asset_keys import DBT_LAYERS, PUBLISH_KEY
from pipelines.definitions import defs

SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "asset_graph.json"


def _graph() -> dict[str, dict]:
    graph = defs.resolve_asset_graph()
    out = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        out[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
        }
    return out


def test_asset_graph_matches_snapshot():
    current = _graph()
    if os.environ.get("FINSAM_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_every_source_kind_flows_into_staging_and_every_mart_into_publish():
    g = _graph()
    kinds = [k for k in g if k.startswith("raw/")]
    assert len(kinds) == 10
    for kind in kinds:
        assert g[kind]["group"] == "ingest"
        assert any(kind in v["deps"] and k.startswith("staging/") for k, v in g.items()), (
            f"{kind} feeds no staging model"
        )
    marts = [k for k in g if k.startswith("marts/")]
    assert marts and set(marts) <= set(g[PUBLISH_KEY.to_user_string()]["deps"])
    for k, v in g.items():
        layer = k.split("/")[0]
        if layer in DBT_LAYERS:
            assert v["group"] == layer


def test_the_lineage_graph_is_one_connected_picture():
    g = _graph()
    neighbours: dict[str, set[str]] = {k: set() for k in g}
    for k, v in g.items():
        for d in v["deps"]:
            neighbours[k].add(d)
            neighbours.setdefault(d, set()).add(k)
    seen, todo = set(), [next(iter(neighbours))]
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(neighbours[k] - seen)
    assert seen == set(neighbours), sorted(set(neighbours) - seen)


@pytest.mark.parametrize("kind", ["insatser", "sus_deltagare", "ledger"])
def test_ingest_assets_run_after_the_insats_register(kind):
    g = _graph()
    if kind == "insatser":
        assert g["raw/insatser"]["deps"] == []
    else:
        assert g[f"raw/{kind}"]["deps"] == ["raw/insatser"]
