"""Role names per förbund and the DuckDB → PostgreSQL type map (pipelines/publish/postgres.py)."""

import re

import pytest

from pipelines.publish.postgres import PostgresPublishError, forbund_roles, mart_keys, pg_type, role_for, role_slug


@pytest.mark.parametrize(
    ("forbund", "slug"),
    [
        ("Samordningsförbundet Västerås", "samordningsforbundet_vasteras"),  # the example in the contract
        ("Södra Dalarnas Samordningsförbund", "sodra_dalarnas_samordningsforbund"),
        ("ÅÄÖ Éxempel", "aao_exempel"),
        ("  Finsam -- Norra (Botkyrka) ", "finsam_norra_botkyrka"),
        ("O'Brien; drop table marts.genomflode; --", "o_brien_drop_table_marts_genomflode"),
        ("Zürich Ærø", "z_rich_r"),  # letters without a rule are "other characters"
        ("(okänt)", "okant"),
    ],
)
def test_role_slug_follows_the_contract(forbund, slug):
    assert role_slug(forbund) == slug
    assert role_for(forbund) == "finsam_" + slug


def test_two_forbund_never_share_a_role():
    with pytest.raises(PostgresPublishError, match="would share the role finsam_sf_gota"):
        forbund_roles(["SF Göta", "SF Gota"])


def test_a_name_without_letters_stops_the_publish():
    with pytest.raises(PostgresPublishError, match="cannot be its own role"):
        forbund_roles(["???"])
    with pytest.raises(PostgresPublishError, match="cannot be its own role"):
        forbund_roles(["Alla"])
    assert forbund_roles(["A", "B"]) == {"A": "finsam_a", "B": "finsam_b"}


def test_a_name_too_long_for_postgresql_keeps_its_start_and_ends_in_a_hash():
    long_names = [
        "Samordningsförbundet Täby Danderyd Vallentuna Österåker Vaxholm",
        "Samordningsförbundet Täby Danderyd Vallentuna Österåker Vaxholm Norrtälje",
    ]
    roles = forbund_roles(long_names)
    for role in roles.values():
        assert len(role.encode()) == 63, role
        assert role.startswith("finsam_samordningsforbundet_taby_danderyd_vallentuna_")
        assert re.fullmatch(r"[a-z0-9_]+_[0-9a-f]{8}", role)
    assert len(set(roles.values())) == 2  # two long names that start alike still get two roles
    assert forbund_roles(long_names[:1]) == {long_names[0]: roles[long_names[0]]}  # the same every night


@pytest.mark.parametrize(
    ("duckdb_type", "postgres"),
    [
        ("VARCHAR", "text"),
        ("INTEGER", "integer"),
        ("BIGINT", "bigint"),
        ("HUGEINT", "numeric(39,0)"),
        ("DOUBLE", "double precision"),
        ("DATE", "date"),
        ("BOOLEAN", "boolean"),
        ("DECIMAL(18,2)", "numeric(18,2)"),
        ("VARCHAR[]", "text[]"),
    ],
)
def test_types_are_mapped_explicitly(duckdb_type, postgres):
    assert pg_type(duckdb_type) == postgres


def test_an_unmapped_type_is_an_error_not_a_guess():
    with pytest.raises(PostgresPublishError, match="no PostgreSQL type for DuckDB type STRUCT"):
        pg_type("STRUCT(a INTEGER)")


def test_mart_keys_come_from_the_mart_suites():
    keys = mart_keys()
    assert keys["genomflode"] == ("forbund", "insats_id", "period_typ", "period_id", "kon")
    assert keys["dim_period"] == ("period_typ", "period_id")
