"""(Re)write the committed Great Expectations suites: `python -m pipelines.quality.build_suites`.

Inputs (each rule lives in one of them, nowhere else):
- `pipelines/sources/<kind>.yml`: required columns, code lists, dates, bounds, patterns of a kind;
- `dbt_project/seeds/kodlistor.csv`, `processtrappa.csv`: the code lists and the steps;
- `pipelines/quality/suites.yml`: unique keys, plausibility warnings, the mart suites.
Output: `expectations/expectations/<suite>.json`, one per source kind (`raw_<kind>`) and per mart
(`marts_<mart>`), in GX 1.x's suite format with stable ids, so a rebuild changes only what
changed. `--check` exits 1 when the committed files differ from a fresh build (CI runs the same
comparison in tests/unit/test_quality_suites.py).

No Great Expectations import here: the suites are plain JSON; the unit tests load every one of
them into GX once to prove it is valid.

It is one module because every suite is built the same way from the same three inputs, and
`--check` must compare exactly what the writer writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

from pipelines.quality.runtime import SUITES_DIR
from pipelines.sources.spec import SourceSpec, load_code_lists, load_specs

SUITES_YML = Path(__file__).with_name("suites.yml")
GX_VERSION = "1.24.1"  # the suite format written here; matches requirements.lock
ID_NAMESPACE = uuid.UUID("6f1d7f0e-9a53-4c1e-8f57-5b7c8e0a1f20")
SEVERITIES = ("critical", "warning", "info")
PSEUDONYM_REGEX = "^[0-9a-f]{64}$"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Expectation kwargs that select columns (the rest are parameters).
_COLUMN_KWARGS = ("column", "column_list", "column_A", "column_B", "column_set")


def file_suite_name(kind: str) -> str:
    return f"raw_{kind}"


def mart_suite_name(mart: str) -> str:
    return f"marts_{mart}"


def load_definitions(path: Path = SUITES_YML) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _expectation(type_: str, why: str, severity: str = "critical", **kwargs: Any) -> dict[str, Any]:
    if severity not in SEVERITIES:
        raise ValueError(f"{type_}: severity {severity!r} is not one of {SEVERITIES}")
    if not why or not why.strip():
        raise ValueError(f"{type_}({kwargs.get('column')}): every expectation needs a one-line `why`")
    return {"type": type_, "kwargs": kwargs, "meta": {}, "notes": why.strip(), "severity": severity}


def _from_yaml(raw: dict[str, Any], code_lists: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    raw = dict(raw)
    type_, why, severity = raw.pop("type"), raw.pop("why", None), raw.pop("severity", "critical")
    kodlista = raw.pop("kodlista", None)
    if kodlista is not None:
        raw["value_set"] = list(code_lists[kodlista])
    for bound in ("min_value", "max_value"):
        # GX reads "2004-01-01" as a date, which pandas will not compare with a datetime64
        # column; a timestamp compares fine (the frames' date columns are datetime64).
        if isinstance(raw.get(bound), str) and _ISO_DAY.match(raw[bound]):
            raw[bound] += "T00:00:00"
        elif isinstance(raw.get(bound), dt.date):
            raw[bound] = raw[bound].isoformat() + "T00:00:00"
    return _expectation(type_, why, severity, **raw)


def _unique(columns: list[str], why: str) -> dict[str, Any]:
    if len(columns) == 1:
        return _expectation("expect_column_values_to_be_unique", why, column=columns[0])
    return _expectation("expect_compound_columns_to_be_unique", why, column_list=columns)


def code_list_regex(codes: tuple[str, ...] | list[str]) -> str:
    """Codes joined by ', ' (how the hook rewrites a code_list cell), nothing else."""
    one = "(?:" + "|".join(re.escape(c) for c in codes) + ")"
    return f"^{one}(?:, {one})*$"


# --------------------------------------------------------------------------------------------
# Source kinds


def derived_max_over_name(column: str, other: str) -> str:
    return f"{column}_over_{other}"


def file_suite(spec: SourceSpec, extra: dict[str, Any], code_lists: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    src = f"pipelines/sources/{spec.kind}.yml"
    exps: list[dict[str, Any]] = []
    derived: dict[str, str] = {}
    data_columns = [n for c in spec.columns for n, _ in c.raw_columns()]
    frame_columns = [*data_columns, "_row_number"] + (["_period_month"] if spec.month_of else [])
    columns_expectation = _expectation(
        "expect_table_columns_to_match_set",
        f"The parsed frame has exactly the columns of raw.{spec.kind} ({src}) (+ the suite's derived ones); "
        "anything else means parser and spec disagree.",
        column_set=frame_columns,
        exact_match=True,
    )
    exps.append(columns_expectation)
    for col in spec.columns:
        if col.type == "personnummer":
            pseudonym, birth, sex = (n for n, _ in col.raw_columns())
            if col.required:
                exps.append(
                    _expectation(
                        "expect_column_values_to_not_be_null",
                        f"Required ({src}): a row without a person cannot be counted or linked.",
                        column=pseudonym,
                    )
                )
                exps.append(
                    _expectation(
                        "expect_column_values_to_not_be_null",
                        "The birth date comes from a valid personnummer; a missing one means the personnummer was not validated.",
                        column=birth,
                    )
                )
            exps.append(
                _expectation(
                    "expect_column_values_to_match_regex",
                    "The pseudonym is HMAC-SHA256 in hex (64 characters); anything else means a personnummer or garbage "
                    "slipped past pseudonymisation.",
                    column=pseudonym,
                    regex=PSEUDONYM_REGEX,
                )
            )
            exps.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    "Sex derived from the personnummer's second-to-last digit is Kvinna or Man (kodlista kon).",
                    column=sex,
                    value_set=list(code_lists["kon"]),
                )
            )
            continue
        name = col.name
        if col.required:
            exps.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    f"Required ({src}): a row without {col.header} cannot be placed or counted.",
                    column=name,
                )
            )
        if col.type == "code":
            exps.append(
                _expectation(
                    "expect_column_values_to_be_in_set",
                    f"Code list `{col.kodlista}` (dbt_project/seeds/kodlistor.csv): an unknown code would land in no category.",
                    column=name,
                    value_set=list(col.codes),
                )
            )
        elif col.type == "code_list":
            exps.append(
                _expectation(
                    "expect_column_values_to_match_regex",
                    f"Comma-separated codes of list `{col.kodlista}` (dbt_project/seeds/kodlistor.csv): an unknown code would land in no category.",
                    column=name,
                    regex=code_list_regex(col.codes),
                )
            )
        elif col.type == "steg":
            exps.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    "Processtrappa steps 1–4 (dbt_project/seeds/processtrappa.csv).",
                    column=name,
                    min_value=1,
                    max_value=len(col.codes),
                )
            )
        if col.not_future:
            exps.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    "A date after the file's export date (file name, Exekvering: stamp or refresh day) is an error (docs/sources.md).",
                    column=name,
                    max_value={"$PARAMETER": "export_date"},
                )
            )
        if col.not_before:
            other = spec.column(col.not_before)
            exps.append(
                _expectation(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    f"{col.header} must not precede {other.header}: an episode or activity cannot end before it starts.",
                    column_A=name,
                    column_B=other.name,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
        if col.min is not None or col.max is not None:
            bounds = {k: v for k, v in (("min_value", col.min), ("max_value", col.max)) if v is not None}
            exps.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    f"Hard bounds of {col.header} in {src}: outside them the value cannot be right.",
                    column=name,
                    **{k: (int(v) if float(v).is_integer() else v) for k, v in bounds.items()},
                )
            )
        if col.pattern is not None:
            exps.append(
                _expectation(
                    "expect_column_values_to_match_regex",
                    f"Form of {col.header} in {src}.",
                    column=name,
                    regex=col.pattern,
                )
            )
        if col.max_over is not None:
            other = spec.column(col.max_over.column)
            derived_name = derived_max_over_name(name, other.name)
            derived[derived_name] = f"{name} - {other.name}"
            plus = col.max_over.plus
            exps.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    f"{col.header} ≤ {other.header} + {plus:g} (docs/sources.md); more is overtime that was never planned.",
                    column=derived_name,
                    max_value=int(plus) if float(plus).is_integer() else plus,
                )
            )
    columns_expectation["kwargs"]["column_set"] = [*frame_columns, *derived]
    if extra.get("unique_key"):
        exps.append(_unique(list(extra["unique_key"]), extra["unique_why"]))
    for raw in extra.get("expectations") or []:
        exps.append(_from_yaml(raw, code_lists))
    return _suite(
        file_suite_name(spec.kind),
        exps,
        {
            "layer": "file",
            "kind": spec.kind,
            "derived": derived,
            "index_columns": ["_row_number"],
        },
    )


# --------------------------------------------------------------------------------------------
# Marts

# Every registered insats × every period it was running (docs/marts.md): the rows a mart must have.
_COVERAGE_GRID = {
    "insats_period": "",
    "insats_period_kalenderar": "where p.period_typ in ('manad', 'kvartal', 'halvar', 'ar')",
}
_GRID_KEY = ("forbund", "insats_id", "period_typ", "period_id")


def _expectation_columns(expectations: list[dict[str, Any]]) -> list[str]:
    """The columns the expectations read, in order of first use."""
    columns: list[str] = []
    for e in expectations:
        for kwarg in _COLUMN_KWARGS:
            value = e["kwargs"].get(kwarg)
            for c in [value] if isinstance(value, str) else (value or []):
                if c not in columns:
                    columns.append(c)
    return columns


def mart_frame_sql(mart: str, derived: dict[str, str], coverage: str | None, columns: list[str]) -> str:
    """The frame GX validates: the mart's `columns` (its key and what the expectations read, not
    `mart.*`: a national fordelning has 39 M rows, and every column more is gigabytes in
    pandas), the derived columns, and the coverage rows.

    The mart is read where it is used, never through a CTE used twice (DuckDB would copy all of
    it into memory), and the coverage grid meets the mart's distinct (insats, period) keys, not
    every mart row."""
    derived_sql = "".join(f",\n    {expr} as {name}" for name, expr in derived.items())
    selected = ", ".join(f"mart.{c}" for c in columns)
    rows = (
        f"select\n    {selected}{derived_sql}"
        + (",\n    false as rad_saknas" if coverage else "")
        + f"\nfrom marts.{mart} as mart"
    )
    if not coverage:
        return rows
    if coverage not in _COVERAGE_GRID:
        raise ValueError(f"marts.{mart}: unknown coverage {coverage!r}; known: {sorted(_COVERAGE_GRID)}")
    key = ", ".join(_GRID_KEY)
    return (
        "with\ngrid as (\n"
        "    select i.forbund, i.insats_id, p.period_typ, p.period_id\n"
        "    from marts.dim_insats as i\n"
        "    inner join marts.dim_period as p\n"
        "        on i.startdatum <= p.period_slut_as_of\n"
        "        and (i.slutdatum is null or i.slutdatum >= p.period_start)\n"
        f"    {_COVERAGE_GRID[coverage]}\n"
        "),\n"
        f"i_marten as (\n    select distinct {key}\n    from marts.{mart}\n)\n"
        f"{rows}\n"
        "union all by name\n"
        "select g.*, true as rad_saknas\n"
        "from grid as g\n"
        f"anti join i_marten using ({key})"
    )


def mart_suite(mart: str, d: dict[str, Any], code_lists: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    key = list(d["key"])
    exps = [_unique(key, "One row per key (docs/marts.md); a second row would be summed twice by every BI tool.")]
    if d.get("coverage"):
        exps.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                "A row for every registered insats and every period it was running (docs/marts.md: zeros, never holes); "
                "a missing one makes a chart or a sum silently short.",
                column="rad_saknas",
                value_set=[False],
            )
        )
    for raw in d.get("expectations") or []:
        exps.append(_from_yaml(raw, code_lists))
    derived = dict(d.get("derived") or {})
    generated = {*derived, "rad_saknas"}
    columns = [c for c in dict.fromkeys([*key, *_expectation_columns(exps)]) if c not in generated]
    return _suite(
        mart_suite_name(mart),
        exps,
        {
            "layer": "mart",
            "asset_key": ["marts", mart],
            "frame_sql": mart_frame_sql(mart, derived, d.get("coverage"), columns),
            "index_columns": key,
        },
    )


# --------------------------------------------------------------------------------------------


def _suite(name: str, expectations: list[dict[str, Any]], finsam_meta: dict[str, Any]) -> dict[str, Any]:
    for i, e in enumerate(expectations):
        fingerprint = json.dumps([name, i, e["type"], e["kwargs"]], sort_keys=True, ensure_ascii=False)
        e["id"] = str(uuid.uuid5(ID_NAMESPACE, fingerprint))
    return {
        "name": name,
        "id": str(uuid.uuid5(ID_NAMESPACE, name)),
        "expectations": expectations,
        "meta": {"great_expectations_version": GX_VERSION, "finsam": finsam_meta},
        "notes": "Generated by `python -m pipelines.quality.build_suites` from pipelines/quality/suites.yml, "
        "pipelines/sources/*.yml and dbt_project/seeds; edit those, not this file.",
    }


def build_all() -> dict[str, dict[str, Any]]:
    """Every suite, by name (pure: reads the inputs, writes nothing)."""
    definitions = load_definitions()
    code_lists = load_code_lists().lists
    specs = load_specs()
    files = definitions.get("files") or {}
    unknown = set(files) - set(specs)
    if unknown:
        raise ValueError(f"suites.yml names unknown source kinds: {sorted(unknown)}")
    suites = {}
    for kind, spec in specs.items():
        s = file_suite(spec, files.get(kind) or {}, code_lists)
        suites[s["name"]] = s
    for mart, d in (definitions.get("marts") or {}).items():
        s = mart_suite(mart, d, code_lists)
        suites[s["name"]] = s
    return suites


def render(suite: dict[str, Any]) -> str:
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


def stale_files(suites: dict[str, dict[str, Any]], out_dir: Path = SUITES_DIR) -> list[str]:
    """Suite files that differ from `suites` (changed, missing or no longer generated)."""
    stale = [
        n
        for n, s in suites.items()
        if not (out_dir / f"{n}.json").exists() or (out_dir / f"{n}.json").read_text(encoding="utf-8") != render(s)
    ]
    stale += [p.stem for p in out_dir.glob("*.json") if p.stem not in suites]
    return sorted(stale)


def write_all(suites: dict[str, dict[str, Any]], out_dir: Path = SUITES_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, suite in suites.items():
        path = out_dir / f"{name}.json"
        text = render(suite)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for path in out_dir.glob("*.json"):
        if path.stem not in suites:
            path.unlink()
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed suites are out of date")
    args = parser.parse_args(argv)
    suites = build_all()
    if args.check:
        stale = stale_files(suites)
        for name in stale:
            print(f"out of date: expectations/expectations/{name}.json")
        return 1 if stale else 0
    for path in write_all(suites):
        print(f"wrote {path}")
    print(f"{len(suites)} suites in {SUITES_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
