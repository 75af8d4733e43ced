"""The file suites' two steps (pipelines/quality/files.py): Polars on every row, GX on the value cover.

What must hold, whatever the frame:
- a frame breaking any expectation of its suite makes the every-row check answer False, and the
  outcome (blocking and warning expectations, counts, offending rows) is exactly GX's outcome on
  every row -- the reason file cannot tell the difference;
- the value cover holds every distinct value of every column a one-value expectation looks at
  (and every distinct pair of a pair expectation), so GX judges every value of the file;
- on a clean frame GX on the cover passes exactly the expectations GX on every row passes.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.ingest import load_specs
from pipelines.quality.build_suites import file_suite_name
from pipelines.quality.files import (
    passes_on_every_row,
    validate_file_frame,
    validate_file_frames,
    validation_frame,
    value_cover,
    value_domain,
)
from pipelines.quality.runtime import INDEX_LOG, get_runtime, load_suite_json, pandas_for_gx, results_dir

SPECS = load_specs()


@pytest.fixture(scope="module")
def validation_dir(quality_data_dir):
    return quality_data_dir / "validation"


def expectations_of(kind: str) -> list[dict]:
    """The expectations of the kind's committed suite, as the hook reads them."""
    return load_suite_json(file_suite_name(kind))["expectations"]


def _every_row(frame, kind, name, export_date, validation_dir):
    """GX on every row of the validation frame: what the hook did before the value cover."""
    import pandas as pd

    return get_runtime(validation_dir).validate(
        file_suite_name(kind),
        pandas_for_gx(validation_frame(frame, SPECS[kind]).to_arrow()),
        subject=name,
        parameters={"export_date": pd.Timestamp(export_date)},
        index_columns=["_row_number"],
    )


def _set(frame: pl.DataFrame, row: int, **values) -> pl.DataFrame:
    at = pl.int_range(pl.len()) == row
    return frame.with_columns(
        [pl.when(at).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
    )


def _breakers(kind: str, frame: pl.DataFrame, export_date: dt.date) -> list[tuple[str, pl.DataFrame]]:
    """One frame per expectation of the kind's suite that breaks it (on the last row, not the
    first, so the cover and the order of rows matter)."""
    suite = load_suite_json(file_suite_name(kind))
    derived = set(suite["meta"]["finsam"].get("derived") or {})
    last = frame.height - 1
    out = []
    for e in suite["expectations"]:
        kw, kind_of = e["kwargs"], e["type"]
        column = kw.get("column")
        if column in derived or (column and column not in frame.columns):
            continue
        dtype = frame.schema.get(column) if column else None
        broken = None
        if kind_of == "expect_column_values_to_not_be_null":
            broken = _set(frame, last, **{column: None})
        elif kind_of == "expect_column_values_to_be_between":
            low, high = kw.get("min_value"), kw.get("max_value")
            if dtype == pl.Date:
                if isinstance(high, dict):
                    value = export_date + dt.timedelta(days=1)
                elif high is not None:
                    value = dt.date.fromisoformat(str(high)[:10]) + dt.timedelta(days=1)
                else:
                    value = dt.date.fromisoformat(str(low)[:10]) - dt.timedelta(days=1)
            else:
                value = (high + 1) if high is not None else (low - 1)
            broken = _set(frame, last, **{column: value})
        elif kind_of in ("expect_column_values_to_be_in_set", "expect_column_values_to_match_regex"):
            broken = _set(frame, last, **{column: "x-okänd"})
        elif kind_of == "expect_column_pair_values_a_to_be_greater_than_b":
            broken = _set(frame, last, **{kw["column_A"]: dt.date(2005, 1, 1), kw["column_B"]: dt.date(2006, 1, 1)})
        elif kind_of in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
            broken = pl.concat([frame, frame.tail(1).with_columns(pl.col("_row_number") + 10_000)])
        elif kind_of == "expect_table_columns_to_match_set":
            broken = frame.with_columns(pl.lit(1).alias("en_kolumn_till"))
        if broken is not None:
            out.append((f"{kind_of}({column or kw.get('column_list') or kw.get('column_A')})", broken))
    return out


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_clean_sample_cover_run_passes_what_every_row_passes(kind, parsed_samples, validation_dir):
    sample = parsed_samples[kind]
    name, frame, export_date = sample.file.name, sample.frame, sample.export_date
    checked = validation_frame(frame, SPECS[kind])
    expectations = expectations_of(kind)
    cover = checked[value_cover(checked, expectations)]
    assert passes_on_every_row(checked, cover, expectations, {"export_date": export_date})
    ours = validate_file_frame(
        frame, SPECS[kind], file_name=name, export_date=export_date, validation_dir=validation_dir
    )
    reference = _every_row(frame, kind, name, export_date, validation_dir)
    assert ours.rows == reference.rows == frame.height
    assert [(e.label, e.success) for e in ours.expectations] == [(e.label, e.success) for e in reference.expectations]


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_broken_expectation_is_caught_and_reported_as_gx_on_every_row(kind, parsed_samples, validation_dir):
    sample = parsed_samples[kind]
    name, frame, export_date = sample.file.name, sample.frame, sample.export_date
    breakers = _breakers(kind, frame, export_date)
    assert breakers, "no expectation of the suite could be broken"
    for label, broken in breakers:
        checked = validation_frame(broken, SPECS[kind])
        expectations = expectations_of(kind)
        cover = checked[value_cover(checked, expectations)]
        assert not passes_on_every_row(checked, cover, expectations, {"export_date": export_date}), label
        # The every-row check said no, so validate_file_frame hands GX every row, which is the
        # reference itself: what is left to show is that GX finds the broken row there.
        ours = validate_file_frame(
            broken, SPECS[kind], file_name=name, export_date=export_date, validation_dir=validation_dir
        )
        failed = [e for e in ours.expectations if not e.success]
        assert failed, f"{label}: the breaker broke nothing"
        last_row = broken["_row_number"][-1]
        assert all(any(row.get("_row_number") == last_row for row in e.sample) for e in failed if e.unexpected_count), (
            label,
            [(e.label, e.sample) for e in failed],
        )


def _attendance(rows: int) -> pl.DataFrame:
    """A parsed attendance frame of `rows` rows: 7 people, one activity, one row per day."""
    start = dt.date(2024, 1, 1)
    return pl.DataFrame(
        {
            "person_id": [f"{i % 7:064x}" for i in range(rows)],
            "fodelsedatum": [dt.date(1980 + i % 7, 1, 1) for i in range(rows)],
            "kon_personnummer": ["Kvinna" if i % 2 else "Man" for i in range(rows)],
            "aktivitet": ["Arbetsträning"] * rows,
            "datum": [start + dt.timedelta(days=i // 7) for i in range(rows)],
            "planerade_timmar": [float(4 + i % 3) for i in range(rows)],
            "narvarotimmar": [float(i % 5) for i in range(rows)],
            "franvaroorsak": [None if i % 4 else "Sjuk" for i in range(rows)],
            "_row_number": list(range(2, rows + 2)),
            "_period_month": [(start + dt.timedelta(days=i // 7)).replace(day=1) for i in range(rows)],
        },
        schema_overrides={"_row_number": pl.Int64},
    )


def test_value_cover_holds_every_distinct_value_and_pair(validation_dir):
    frame = _attendance(700)
    checked = validation_frame(frame, SPECS["procapita_narvaro"])
    expectations = expectations_of("procapita_narvaro")
    positions = value_cover(checked, expectations)
    cover = checked[positions]
    assert positions.is_sorted() and positions.n_unique() == len(positions)
    assert cover.height < checked.height / 2  # the point of it
    for e in expectations:
        domain = value_domain(e)
        if domain is None:
            continue
        want = checked.select(list(domain)).unique()
        got = cover.select(list(domain)).unique()
        assert want.join(got, on=list(domain), how="anti", nulls_equal=True).height == 0, domain


def test_a_late_duplicate_in_a_big_file_is_caught_on_every_row(validation_dir):
    frame = _attendance(700)
    spec = SPECS["procapita_narvaro"]
    export = dt.date(2026, 1, 1)
    clean = validate_file_frame(frame, spec, file_name="n.csv", export_date=export, validation_dir=validation_dir)
    assert clean.ok and clean.rows == 700
    duplicated = pl.concat(
        [frame, frame.slice(500, 1).with_columns(pl.lit(9_999, dtype=pl.Int64).alias("_row_number"))]
    )
    outcome = validate_file_frame(
        duplicated, spec, file_name="n.csv", export_date=export, validation_dir=validation_dir
    )
    assert [e.label for e in outcome.blocking] == ["expect_compound_columns_to_be_unique(person_id, aktivitet, datum)"]
    rows = sorted(r["_row_number"] for r in outcome.blocking[0].sample)
    assert rows == [502, 9_999] and outcome.blocking[0].unexpected_count == 2


def _runs_and_index_lines(validation_dir, action):
    """What `action()` returns, the GX results it stored for the attendance suite, and the
    index.jsonl lines it wrote."""
    suite_results = results_dir(validation_dir) / file_suite_name("procapita_narvaro")
    index = validation_dir / INDEX_LOG

    def state():
        results = set(suite_results.rglob("*.json")) if suite_results.exists() else set()
        return results, index.read_text(encoding="utf-8").splitlines() if index.exists() else []

    results_before, lines_before = state()
    returned = action()
    results_after, lines_after = state()
    return returned, len(results_after - results_before), [json.loads(x) for x in lines_after[len(lines_before) :]]


def test_small_files_that_pass_share_one_gx_run(validation_dir):
    frame, spec, export = _attendance(210), SPECS["procapita_narvaro"], dt.date(2026, 1, 1)
    parts = [(frame.slice(70 * i, 70), f"n{i}.csv") for i in range(3)]
    outcomes, runs, lines = _runs_and_index_lines(
        validation_dir,
        lambda: validate_file_frames(parts, spec, export_date=export, validation_dir=validation_dir),
    )
    assert [(o.subject, o.rows, o.files, o.ok) for o in outcomes] == [(f"n{i}.csv", 70, 3, True) for i in range(3)]
    assert runs == 1
    assert [(x["subject"], x["rows"], x["ok"], x["run"]) for x in lines] == [
        (f"n{i}.csv", 70, True, "n0.csv +2") for i in range(3)
    ]


def test_a_bad_small_file_is_validated_alone_and_named_the_others_still_share_a_run(validation_dir):
    frame, spec, export = _attendance(210), SPECS["procapita_narvaro"], dt.date(2026, 1, 1)
    parts = [(frame.slice(70 * i, 70), f"n{i}.csv") for i in range(3)]
    bad = parts[1][0]
    parts[1] = (
        pl.concat([bad, bad.slice(40, 1).with_columns(pl.lit(9_999, dtype=pl.Int64).alias("_row_number"))]),
        "n1.csv",
    )
    outcomes, runs, lines = _runs_and_index_lines(
        validation_dir,
        lambda: validate_file_frames(parts, spec, export_date=export, validation_dir=validation_dir),
    )
    assert [(o.subject, o.ok, o.files) for o in outcomes] == [
        ("n0.csv", True, 2),
        ("n1.csv", False, 1),
        ("n2.csv", True, 2),
    ]
    assert [e.label for e in outcomes[1].blocking] == [
        "expect_compound_columns_to_be_unique(person_id, aktivitet, datum)"
    ]
    assert sorted(r["_row_number"] for r in outcomes[1].blocking[0].sample) == [112, 9_999]
    assert runs == 2
    assert sorted((x["subject"], x["ok"]) for x in lines) == [("n0.csv", True), ("n1.csv", False), ("n2.csv", True)]


def test_files_unique_alone_but_not_together_are_validated_one_by_one(validation_dir):
    """An older and a newer export of the same rows: each file passes its suite, their union
    breaks the uniqueness expectation, which is no fault of either file."""
    frame, spec, export = _attendance(70), SPECS["procapita_narvaro"], dt.date(2026, 1, 1)
    outcomes, runs, lines = _runs_and_index_lines(
        validation_dir,
        lambda: validate_file_frames(
            [(frame, "old.csv"), (frame, "new.csv")], spec, export_date=export, validation_dir=validation_dir
        ),
    )
    assert [(o.subject, o.ok, o.files) for o in outcomes] == [("old.csv", True, 1), ("new.csv", True, 1)]
    assert runs == 3  # the joint run that failed, then one per file
    assert [(x["subject"], x["ok"], "run" in x) for x in lines] == [("old.csv", True, False), ("new.csv", True, False)]


def test_unknown_expectations_and_arguments_mean_gx_on_every_row():
    frame = _attendance(20)
    checked = validation_frame(frame, SPECS["procapita_narvaro"])
    unknown = [{"type": "expect_column_values_to_be_increasing", "kwargs": {"column": "datum"}}]
    mostly = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "datum", "mostly": 0.9}}]
    fine = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "datum"}}]
    for expectations, expected in ((unknown, False), (mostly, False), (fine, True)):
        cover = checked[value_cover(checked, expectations)]
        assert passes_on_every_row(checked, cover, expectations, {}) is expected


def test_nan_and_missing_parameters_are_doubts():
    frame = _attendance(20)
    checked = validation_frame(frame, SPECS["procapita_narvaro"]).with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(float("nan"))
        .otherwise(pl.col("planerade_timmar"))
        .alias("planerade_timmar")
    )
    between = [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "planerade_timmar", "max_value": 24}}
    ]
    future = [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "datum", "max_value": {"$PARAMETER": "export_date"}},
        }
    ]
    cover = checked[value_cover(checked, between + future)]
    assert not passes_on_every_row(checked, cover, between, {})
    assert not passes_on_every_row(checked, cover, future, {})
    assert passes_on_every_row(checked, cover, future, {"export_date": dt.date(2030, 1, 1)})
    assert not passes_on_every_row(checked, cover, future, {"export_date": dt.date(2024, 1, 2)})


def test_in_set_on_categorical_texts_and_on_flags_is_evaluated_exactly():
    """A mart's frame has its texts as categoricals and its coverage flag as a boolean."""
    frame = pl.DataFrame(
        {"dimension": ["kon", "alder", None, "kon"], "rad_saknas": [False, False, None, False]}
    ).with_columns(pl.col("dimension").cast(pl.Categorical))

    def in_set(column, values):
        return [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": column, "value_set": values}}]

    for expectations, expected in (
        (in_set("dimension", ["kon", "alder"]), True),
        (in_set("dimension", ["kon"]), False),
        (in_set("rad_saknas", [False]), True),
        (in_set("rad_saknas", [True]), False),
        (in_set("rad_saknas", ["False"]), False),  # a text among flags: GX on every row decides
        (in_set("dimension", [1, 2]), False),
    ):
        cover = frame[value_cover(frame, expectations)]
        assert passes_on_every_row(frame, cover, expectations, {}) is expected, expectations
