"""What the UI shows for every asset: description, owner, group, column schema, freshness."""

import datetime as dt

import dagster as dg
import pytest

from pipelines.asset_keys import DBT_LAYERS, DOCS_KEY, MARTS, PUBLISH_KEY, RAW, raw_key
from pipelines.definitions import defs
from pipelines.ingest.assets import raw_column_schema
from pipelines.ops.specs import MART_FRESHNESS

GRAPH = defs.resolve_asset_graph()
KEYS = sorted(GRAPH.get_all_asset_keys(), key=lambda k: k.to_user_string())
TABLE_LAYERS = {RAW, *DBT_LAYERS}


def _schema(key: dg.AssetKey) -> dg.TableSchema | None:
    value = GRAPH.get(key).metadata.get("dagster/column_schema")
    return value.schema if isinstance(value, dg.TableSchemaMetadataValue) else value


def test_every_asset_has_a_description_an_owner_and_a_group():
    for key in KEYS:
        node = GRAPH.get(key)
        assert node.description and len(node.description) > 20, key
        assert node.owners == ["team:data"], key
        assert node.group_name and node.group_name != "default", key


def test_every_table_asset_has_a_column_schema():
    for key in KEYS:
        if key.path[0] in TABLE_LAYERS:
            schema = _schema(key)
            assert schema is not None and schema.columns, key


def test_mart_columns_carry_their_documentation():
    schema = _schema(dg.AssetKey(["marts", "genomflode"]))
    columns = {c.name: c for c in schema.columns}
    assert {"forbund", "insats_id", "period_typ", "period_id", "kon", "nyinskrivna"} <= set(columns)
    assert all(c.description for c in columns.values())


def test_raw_column_schema_follows_the_source_spec_and_never_names_personnummer():
    schema = raw_column_schema("sus_deltagare")
    names = [c.name for c in schema.columns]
    by_name = {c.name: c for c in schema.columns}
    assert "HMAC-SHA256 pseudonym" in by_name["person_id"].description and by_name["person_id"].type == "VARCHAR"
    assert "personnummer" not in names
    assert names[-7:] == [
        "_row_number",
        "_source_file",
        "_sha256",
        "_loaded_at",
        "_file_date",
        "_exported_at",
        "_file_mtime",
    ]
    assert all(c.description for c in schema.columns)
    assert schema == _schema(raw_key("sus_deltagare"))


def test_marts_and_the_published_file_go_stale_after_26_hours():
    assert MART_FRESHNESS.fail_window.to_timedelta() == dt.timedelta(hours=26)
    fresh = {k for k in KEYS if GRAPH.get(k).freshness_policy is not None}
    marts = {k for k in KEYS if k.path[0] == MARTS}
    assert len(marts) >= 10
    assert fresh == marts | {PUBLISH_KEY}
    for key in fresh:
        assert GRAPH.get(key).freshness_policy == MART_FRESHNESS


@pytest.mark.parametrize(
    "name, kind",
    [
        ("nightly_refresh", "schedule"),
        ("landing_sensor", "sensor"),
        ("refresh_failure_alert", "sensor"),
        ("refresh_lock_watchdog", "sensor"),
    ],
)
def test_automation_is_registered_and_on_by_default(name, kind):
    if kind == "schedule":
        target = defs.resolve_schedule_def(name)
        assert target.default_status == dg.DefaultScheduleStatus.RUNNING
    else:
        target = defs.resolve_sensor_def(name)
        assert target.default_status == dg.DefaultSensorStatus.RUNNING


def test_the_docs_asset_comes_after_publish():
    node = GRAPH.get(DOCS_KEY)
    assert node.parent_keys == {PUBLISH_KEY}
