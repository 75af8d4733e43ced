"""The mart suites (marts_<mart>) on a tiny warehouse built from the marts' contracts.

Every mart gets rows for 2 insatser × 2 periods (× one value of each extra key column), with
counts 0 (1 in the sparse marts) and shares ½, which satisfy every identity: the clean
warehouse passes every suite.
Then one deliberate break per suite must fail it, naming the expectation that caught it, and
a warning-only failure must not block.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.quality.checks import GX_CHECK_NAME, mart_suites, suite_check_result, validate_mart
from pipelines.settings import DBT_PROJECT_DIR

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
INSATSER = [("F1", "I1"), ("F2", "I2")]
PERIODS = [("manad", "2024-01", "2024-01-01", "2024-01-31"), ("ar", "2024", "2024-01-01", "2024-12-31")]
KEY_VALUES = {
    "kon": "Kvinna",
    "dimension": "aldersgrupp",
    "kategori": "15 - 29",
    "forsorjningskalla": "A-kassa",
    "kostnadsslag": "Egen personal",
    "aktivitet": "Arbetsträning",
    "finansiar": "Region X",
    "part": "region",
}
# key values of the transition and comparison marts
KEY_VALUES |= {
    "steg_start": 1,
    "steg_slut": 2,
    "forsorjning_fore": "A-kassa",
    "forsorjning_efter": "Försörjningsstöd",
    "matt": "andel_i_mal",
    "rang": 1,
}
YEARLY_MARTS = ("uppfoljning_finsam", "jamforelse")  # only `ar` (and halvar) rows
SHARES = {
    "andel_i_mal",
    "andel_steg_upp",
    "belaggningsgrad",
    "fullfoljandegrad",
    "narvarograd",
    "andel",
    "forbrukningsgrad",
}


def _contract(mart: str) -> list[tuple[str, str]]:
    model = yaml.safe_load((MARTS_DIR / f"{mart}.yml").read_text(encoding="utf-8"))["models"][0]
    return [(c["name"], c["data_type"]) for c in model["columns"]]


def _value(column: str, dtype: str, forbund: str, insats: str, period: tuple) -> object:
    typ, pid, start, slut = period
    fixed = {
        "forbund": forbund,
        "insats_id": insats,
        "period_typ": typ,
        "period_id": pid,
        "period_start": start,
        "period_slut": slut,
        "period_slut_as_of": slut,
        "as_of": "2024-12-31",
        "startdatum": "2020-01-01",
        "slutdatum": None,
        "ar": 2024,
        "provotid_dagar": 90,
        "arsplatser": 10.0,
        "insatsnamn": insats,
        "malutfall": ["arbete"],
        "is_complete": True,
        "dagar_i_period": 31,
        **KEY_VALUES,
    }
    if column in fixed:
        return fixed[column]
    if column in SHARES:
        return 0.5
    if column == "antal":  # the sparse marts: a row counts at least one episode
        return 1
    if dtype in ("bigint", "integer", "double"):
        return 0
    return "x"


def _create(con: duckdb.DuckDBPyConnection, mart: str, rows: list[tuple]) -> None:
    cols = _contract(mart)
    con.execute(f"create table marts.{mart} ({', '.join(f'{n} {t}' for n, t in cols)})")
    con.executemany(f"insert into marts.{mart} values ({', '.join('?' for _ in cols)})", rows)


def build_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for mart in sorted(p.stem for p in MARTS_DIR.glob("*.yml")):
            cols = _contract(mart)
            if mart == "dim_insats":
                rows = [tuple(_value(c, t, f, i, PERIODS[0]) for c, t in cols) for f, i in INSATSER]
            elif mart == "dim_period":
                rows = [tuple(_value(c, t, "", "", p) for c, t in cols) for p in PERIODS]
            elif mart == "dim_kategori":  # one category, no förbund or period
                rows = [tuple(_value(c, t, "", "", PERIODS[0]) for c, t in cols)]
            elif mart == "finansiering" or mart in YEARLY_MARTS:  # per förbund and year, no insats
                rows = [tuple(_value(c, t, f, i, PERIODS[1]) for c, t in cols) for f, i in INSATSER]
            else:
                rows = [tuple(_value(c, t, f, i, p) for c, t in cols) for f, i in INSATSER for p in PERIODS]
            _create(con, mart, rows)


# suite -> (SQL that breaks the clean warehouse, the expectation label that must catch it)
BROKEN = {
    "marts_genomflode": (
        "update marts.genomflode set nyinskrivna = 3 where insats_id = 'I1' and period_id = '2024'",
        "expect_column_values_to_be_between(flodesidentitet_avvikelse)",
    ),
    "marts_resultat": (
        "update marts.resultat set till_arbete = 1 where insats_id = 'I2'",
        "expect_column_values_to_be_between(till_summa_avvikelse)",
    ),
    "marts_forsorjning": (
        "update marts.forsorjning set forandring = 4 where insats_id = 'I1'",
        "expect_column_values_to_be_between(forandring_avvikelse)",
    ),
    "marts_fordelning": (
        "update marts.fordelning set dimension = 'alder' where insats_id = 'I1'",
        "expect_column_values_to_be_in_set(dimension)",
    ),
    "marts_datakvalitet": (
        "delete from marts.datakvalitet where insats_id = 'I2' and period_id = '2024-01'",
        "expect_column_values_to_be_in_set(rad_saknas)",
    ),
    "marts_ekonomi": (
        "update marts.ekonomi set aterstar = 100 where insats_id = 'I1'",
        "expect_column_values_to_be_between(aterstar_avvikelse)",
    ),
    "marts_enhetskostnad": (
        "insert into marts.enhetskostnad select * from marts.enhetskostnad where insats_id = 'I1'",
        "expect_compound_columns_to_be_unique(forbund, insats_id, period_typ, period_id)",
    ),
    "marts_samhallsekonomi": (
        "update marts.samhallsekonomi set besparing_per_manad = 10 where insats_id = 'I2'",
        "expect_column_values_to_be_between(besparing_avvikelse)",
    ),
    "marts_aktivitet": (
        "update marts.aktivitet set fullfoljandegrad = 1.5 where insats_id = 'I2'",
        "expect_column_values_to_be_between(fullfoljandegrad)",
    ),
    "marts_finansiering": (
        "update marts.finansiering set andel = 1.2 where forbund = 'F1'",
        "expect_column_values_to_be_between(andel)",
    ),
    "marts_dim_insats": (
        "update marts.dim_insats set insats_id = 'I1'",
        "expect_column_values_to_be_unique(insats_id)",
    ),
    "marts_dim_kategori": (
        "update marts.dim_kategori set sortering = null",
        "expect_column_values_to_not_be_null(sortering)",
    ),
    "marts_dim_period": (
        "update marts.dim_period set period_slut = date '2023-12-31' where period_id = '2024-01'",
        "expect_column_pair_values_a_to_be_greater_than_b(period_slut, period_start)",
    ),
    "marts_stegforflyttning": (
        "update marts.stegforflyttning set steg_slut = 5 where insats_id = 'I1'",
        "expect_column_values_to_be_between(steg_slut)",
    ),
    "marts_forsorjning_overgang": (
        "insert into marts.forsorjning_overgang select * from marts.forsorjning_overgang where insats_id = 'I2'",
        "expect_compound_columns_to_be_unique(forbund, insats_id, period_typ, period_id, utfall, forsorjning_fore, forsorjning_efter, kon)",
    ),
    "marts_uppfoljning_finsam": (
        "update marts.uppfoljning_finsam set deltagare_totalt = 3 where insats_id = 'I1'",
        "expect_column_values_to_be_between(deltagare_avvikelse)",
    ),
    "marts_jamforelse": (
        "update marts.jamforelse set rang = 0 where forbund = 'F2'",
        "expect_column_values_to_be_between(rang)",
    ),
}
SUITES = {ms.suite: ms for ms in mart_suites()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("marts") / "warehouse.duckdb"
    build_warehouse(path)
    return path


@pytest.fixture
def warehouse(clean, tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(clean.read_bytes())
    return path


def test_every_mart_suite_has_a_case_and_guards_a_contracted_mart():
    assert set(SUITES) == set(BROKEN)
    marts = {p.stem for p in MARTS_DIR.glob("*.yml")}
    for ms in SUITES.values():
        assert ms.asset_key.path[0] == "marts" and ms.asset_key.path[1] in marts


@pytest.mark.parametrize("suite", sorted(BROKEN))
def test_clean_mart_passes(suite, clean, tmp_path):
    with duckdb.connect(str(clean), read_only=True) as con:
        outcome = validate_mart(con, SUITES[suite], tmp_path / "validation", "test")
    assert not outcome.blocking and not outcome.warnings, [
        (e.label, e.unexpected_count, e.error) for e in outcome.expectations if not e.success
    ]
    assert outcome.rows > 0


def test_a_clean_mart_is_validated_by_gx_on_its_value_cover(clean, tmp_path):
    """Polars finds every row clean, so GX judges one row per distinct value (and the key's
    uniqueness was checked on every row): fewer rows reach GX than the mart has."""
    with duckdb.connect(str(clean), read_only=True) as con:
        rows = con.execute("select count(*) from marts.fordelning").fetchone()[0]
        distinct = con.execute("select count(distinct dimension) from marts.fordelning").fetchone()[0]
        outcome = validate_mart(con, SUITES["marts_fordelning"], tmp_path / "validation", "test")
    assert outcome.ok and not outcome.warnings and outcome.rows == rows
    [dimension] = [e for e in outcome.expectations if e.label == "expect_column_values_to_be_in_set(dimension)"]
    assert distinct <= dimension.element_count < rows


@pytest.mark.parametrize("suite", sorted(BROKEN))
def test_broken_mart_fails_naming_the_expectation(suite, warehouse, tmp_path):
    sql, label = BROKEN[suite]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcome = validate_mart(con, SUITES[suite], tmp_path / "validation", "test")
    assert label in [e.label for e in outcome.blocking], [e.label for e in outcome.expectations if not e.success]
    failing = next(e for e in outcome.blocking if e.label == label)
    assert failing.sample, "no sample of offending rows"
    assert failing.why
    result = suite_check_result(outcome, SUITES[suite].asset_key, None)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.check_name == GX_CHECK_NAME
    assert label in result.metadata["failed_blocking"].value[0]["expectation"] or label in str(
        result.metadata["failed_blocking"].value
    )
    assert "sample" in result.metadata


def test_missing_rows_are_named_by_their_key(warehouse, tmp_path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.genomflode where insats_id = 'I2' and period_id = '2024'")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcome = validate_mart(con, SUITES["marts_genomflode"], tmp_path / "validation", "test")
    [missing] = [e for e in outcome.blocking if e.label == "expect_column_values_to_be_in_set(rad_saknas)"]
    assert missing.unexpected_count == 1
    assert {"forbund": "F2", "insats_id": "I2", "period_typ": "ar", "period_id": "2024"}.items() <= missing.sample[
        0
    ].items()


def test_a_warning_does_not_block(warehouse, tmp_path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.ekonomi set forbrukningsgrad = 3 where insats_id = 'I1'")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcome = validate_mart(con, SUITES["marts_ekonomi"], tmp_path / "validation", "test")
    assert outcome.ok and [e.label for e in outcome.warnings] == [
        "expect_column_values_to_be_between(forbrukningsgrad)"
    ]
    result = suite_check_result(outcome, SUITES["marts_ekonomi"].asset_key, None)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN


def test_results_and_data_docs_land_in_the_validation_dir(clean, tmp_path):
    from pipelines.quality.runtime import docs_index, get_runtime, results_dir

    validation = tmp_path / "validation"
    with duckdb.connect(str(clean), read_only=True) as con:
        validate_mart(con, SUITES["marts_dim_period"], validation, "docs-test")
    assert any(results_dir(validation).rglob("*.json"))
    index = get_runtime(validation).build_docs()
    assert index == docs_index(validation) and index.exists()
    assert "marts_dim_period" in index.read_text(encoding="utf-8")


def test_a_large_mart_is_validated_per_forbund_and_adds_up(warehouse, tmp_path, monkeypatch):
    """Above SLICE_ROWS a mart is validated one group of whole förbund at a time: a duplicate
    key in one förbund and an unknown dimension in the other are both caught, with their counts
    added and samples from both slices, exactly as in one run over the whole frame."""
    import pipelines.quality.checks as checks

    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.fordelning select * from marts.fordelning where forbund = 'F1' and period_typ = 'ar'"
        )
        con.execute("update marts.fordelning set dimension = 'alder' where forbund = 'F2'")
    suite = SUITES["marts_fordelning"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        whole = validate_mart(con, suite, tmp_path / "validation", "whole")
        monkeypatch.setattr(checks, "SLICE_ROWS", 3)
        table = checks.arrow_with_categories(con, suite.frame_sql)
        slices = checks.forbund_slices(table, 3)
        assert [sorted(set(s.column("forbund").to_pylist())) for s in slices] == [["F1"], ["F2"]]
        assert sum(s.num_rows for s in slices) == table.num_rows
        sliced = validate_mart(con, suite, tmp_path / "validation", "sliced")

    def failures(outcome):
        return {e.label: (e.unexpected_count, e.element_count) for e in outcome.blocking}

    assert (
        failures(sliced)
        == failures(whole)
        == {
            "expect_compound_columns_to_be_unique(forbund, insats_id, period_typ, period_id, dimension, kategori, kon)": (
                2,
                5,
            ),
            "expect_column_values_to_be_in_set(dimension)": (2, 5),
        }
    )
    assert sliced.rows == whole.rows == 5
    [unique] = [e for e in sliced.blocking if e.expectation == "expect_compound_columns_to_be_unique"]
    assert {row["forbund"] for row in unique.sample} == {"F1"}
    [unknown] = [e for e in sliced.blocking if e.label == "expect_column_values_to_be_in_set(dimension)"]
    assert {row["forbund"] for row in unknown.sample} == {"F2"}
