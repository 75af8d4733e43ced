"""Role names per förbund and the DuckDB → PostgreSQL type map (pipelines/publish/postgres.py)."""

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


def test_a_name_without_letters_or_too_long_for_postgresql_stops_the_publish():
    with pytest.raises(PostgresPublishError, match="cannot be its own role"):
        forbund_roles(["???"])
    with pytest.raises(PostgresPublishError, match="cannot be its own role"):
        forbund_roles(["Alla"])
    with pytest.raises(PostgresPublishError, match="longer than PostgreSQL's 63 bytes"):
        forbund_roles(["Samordningsförbundet " + "x" * 40])
    assert forbund_roles(["A", "B"]) == {"A": "finsam_a", "B": "finsam_b"}


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
