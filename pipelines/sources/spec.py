"""Source specs: one YAML per export kind (`pipelines/sources/<kind>.yml`) as dataclasses.

The YAML is data, not code (see `pipelines/sources/README.md`). Code lists are not repeated in
the YAML: a column names its `kodlista` and the codes come from the dbt seed
`dbt_project/seeds/kodlistor.csv` (steps from `processtrappa.csv`), so a code list lives in one
place. Loading validates the spec itself (unknown keys, unknown types, unknown code lists,
references to unknown columns, clashing header aliases) so a typo fails loudly at start-up,
not as a confusing error about some user's file.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pipelines.settings import DBT_PROJECT_DIR, SOURCES_SPEC_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

COLUMN_TYPES = frozenset(
    {"text", "code", "code_list", "date", "integer", "decimal", "yearmonth", "personnummer", "steg"}
)

# DuckDB type of the raw column for each spec type (personnummer expands to three columns).
DUCKDB_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "code_list": "VARCHAR",
    "date": "DATE",
    "yearmonth": "DATE",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "steg": "INTEGER",
}

# Metadata columns every raw table carries, in this order, after the data columns.
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_row_number", "BIGINT"),
    ("_source_file", "VARCHAR"),
    ("_sha256", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_file_date", "DATE"),
    ("_exported_at", "TIMESTAMP"),
    ("_file_mtime", "TIMESTAMP"),
)
PERIOD_MONTH_COLUMN = ("_period_month", "DATE")

_COLUMN_KEYS = frozenset(
    {
        "name",
        "header",
        "type",
        "required",
        "kodlista",
        "aliases",
        "default",
        "min",
        "max",
        "pattern",
        "not_future",
        "not_before",
        "max_over",
        "must_be_registered",
        "pseudonym_as",
        "birth_date_as",
        "sex_as",
        "description",
    }
)
_SPEC_KEYS = frozenset({"kind", "description", "replace_by", "month_of", "columns"})


class SpecError(ValueError):
    """A source YAML or seed file is inconsistent (a programming/config error, not a data error)."""


def normalize_header(text: str | None) -> str:
    """Header key for alias matching: casefold, strip diacritics (NFKD), keep only a-z0-9.

    `Inskrivningsdatum`, `INSKRIVNINGSDATUM` and `inskrivnings-datum` give the same key;
    `Försörjning före` and `FORSORJNING_FORE` too.
    """
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


_WHITESPACE_RUN = re.compile(r"\s+")


def normalize_code(text: str) -> str:
    """Key for code-list membership: NFC, casefold, single spaces. The stored value keeps the
    file's own text; staging normalises the case."""
    return _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFC", text).strip()).casefold()


@dataclass(frozen=True)
class MaxOver:
    """`value <= <column> + plus` (närvaro: Närvarotimmar <= Planerade timmar + 2)."""

    column: str
    plus: float = 0.0


@dataclass(frozen=True)
class MonthOf:
    """Which column(s) give a row's month for additive-by-month kinds."""

    date_column: str | None = None
    year_column: str | None = None
    month_column: str | None = None


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    header: str
    type: str
    required: bool = False
    kodlista: str | None = None
    aliases: tuple[str, ...] = ()
    default: str | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    not_future: bool = False
    not_before: str | None = None
    max_over: MaxOver | None = None
    must_be_registered: bool = False
    pseudonym_as: str | None = None
    birth_date_as: str | None = None
    sex_as: str | None = None
    description: str | None = None
    # The code list's codes as written in the seed (code / code_list; steg: the step names), and
    # their normalize_code() keys for membership tests.
    codes: tuple[str, ...] = ()
    code_keys: frozenset[str] = field(default_factory=frozenset)
    # steg: normalised step name or number -> step number.
    steps: tuple[tuple[str, int], ...] = ()

    @property
    def header_keys(self) -> frozenset[str]:
        return frozenset(normalize_header(h) for h in (self.header, self.name, *self.aliases))

    def raw_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the raw column(s) this spec column produces."""
        if self.type == "personnummer":
            return [
                (self.pseudonym_as or f"{self.name}_pseudonym", "VARCHAR"),
                (self.birth_date_as or f"{self.name}_fodelsedatum", "DATE"),
                (self.sex_as or f"{self.name}_kon", "VARCHAR"),
            ]
        return [(self.name, DUCKDB_TYPES[self.type])]


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    description: str
    replace_by: tuple[str, ...]
    month_of: MonthOf | None
    columns: tuple[ColumnSpec, ...]
    path: Path | None = None

    @property
    def raw_table(self) -> str:
        return f"raw.{self.kind}"

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def header_lookup(self) -> dict[str, str]:
        """normalize_header(alias) -> canonical column name."""
        lookup: dict[str, str] = {}
        for col in self.columns:
            for key in col.header_keys:
                lookup[key] = col.name
        return lookup

    @property
    def required_columns(self) -> tuple[ColumnSpec, ...]:
        """Columns a file must have (required and without a default)."""
        return tuple(c for c in self.columns if c.required and c.default is None)

    def raw_schema(self) -> list[tuple[str, str]]:
        """The exact column list of `raw.<kind>`: data columns in spec order, then metadata."""
        cols: list[tuple[str, str]] = []
        for col in self.columns:
            cols.extend(col.raw_columns())
        cols.extend(META_COLUMNS)
        if self.month_of is not None:
            cols.append(PERIOD_MONTH_COLUMN)
        return cols


# --------------------------------------------------------------------------------------------
# Seeds


@dataclass(frozen=True)
class CodeLists:
    lists: dict[str, tuple[str, ...]]
    steps: tuple[tuple[str, int], ...]  # (step name as in the seed, number)


def load_code_lists(seeds_dir: Path = SEEDS_DIR) -> CodeLists:
    lists: dict[str, list[tuple[int, str]]] = {}
    with (seeds_dir / "kodlistor.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            order = int(row["sortering"]) if row.get("sortering") else 0
            lists.setdefault(row["kodlista"].strip(), []).append((order, row["kod"].strip()))
    steps: list[tuple[str, int]] = []
    with (seeds_dir / "processtrappa.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            steps.append((row["namn"].strip(), int(row["steg"])))
    return CodeLists(
        lists={name: tuple(code for _, code in sorted(codes)) for name, codes in lists.items()},
        steps=tuple(steps),
    )


# --------------------------------------------------------------------------------------------
# YAML


def _as_float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: not a number: {value!r}") from exc


def _column_from_yaml(raw: dict[str, Any], code_lists: CodeLists, where: str) -> ColumnSpec:
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("name", "header", "type"):
        if not raw.get(key):
            raise SpecError(f"{where}: missing '{key}'")
    name, ctype = str(raw["name"]), str(raw["type"])
    where = f"{where} ({name})"
    if ctype not in COLUMN_TYPES:
        raise SpecError(f"{where}: unknown type {ctype!r}; known: {sorted(COLUMN_TYPES)}")
    codes: tuple[str, ...] = ()
    kodlista = raw.get("kodlista")
    if ctype in ("code", "code_list"):
        if not kodlista:
            raise SpecError(f"{where}: type {ctype} needs 'kodlista'")
        if kodlista not in code_lists.lists:
            raise SpecError(f"{where}: kodlista {kodlista!r} is not in kodlistor.csv")
        codes = code_lists.lists[kodlista]
    elif kodlista:
        raise SpecError(f"{where}: 'kodlista' only applies to code / code_list columns")
    steps: tuple[tuple[str, int], ...] = ()
    if ctype == "steg":
        steps = tuple((normalize_code(n), v) for n, v in code_lists.steps) + tuple(
            (str(v), v) for _, v in code_lists.steps
        )
        codes = tuple(n for n, _ in sorted(code_lists.steps, key=lambda s: s[1]))
    max_over = None
    if raw.get("max_over") is not None:
        mo = raw["max_over"]
        if not isinstance(mo, dict) or "column" not in mo:
            raise SpecError(f"{where}: max_over needs {{column: ..., plus: ...}}")
        max_over = MaxOver(column=str(mo["column"]), plus=_as_float(mo.get("plus", 0), where) or 0.0)
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SpecError(f"{where}: bad pattern {pattern!r}: {exc}") from exc
    if ctype != "personnummer" and any(raw.get(k) for k in ("pseudonym_as", "birth_date_as", "sex_as")):
        raise SpecError(f"{where}: pseudonym_as/birth_date_as/sex_as only apply to personnummer")
    default = raw.get("default")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list):
        raise SpecError(f"{where}: aliases must be a list")
    return ColumnSpec(
        name=name,
        header=str(raw["header"]),
        type=ctype,
        required=bool(raw.get("required", False)),
        kodlista=kodlista,
        aliases=tuple(str(a) for a in aliases),
        default=None if default is None else str(default),
        min=_as_float(raw.get("min"), where),
        max=_as_float(raw.get("max"), where),
        pattern=pattern,
        not_future=bool(raw.get("not_future", False)),
        not_before=raw.get("not_before"),
        max_over=max_over,
        must_be_registered=bool(raw.get("must_be_registered", False)),
        pseudonym_as=raw.get("pseudonym_as"),
        birth_date_as=raw.get("birth_date_as"),
        sex_as=raw.get("sex_as"),
        description=raw.get("description"),
        codes=codes,
        code_keys=frozenset(normalize_code(c) for c in codes),
        steps=steps,
    )


def load_spec(path: Path, code_lists: CodeLists | None = None) -> SourceSpec:
    code_lists = code_lists or load_code_lists()
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = path.name
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: not a mapping")
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}")
    kind = str(raw.get("kind") or "")
    if kind != path.stem:
        raise SpecError(f"{where}: kind {kind!r} must equal the file name {path.stem!r}")
    columns = tuple(
        _column_from_yaml(c, code_lists, f"{where} column {i + 1}") for i, c in enumerate(raw.get("columns") or [])
    )
    if not columns:
        raise SpecError(f"{where}: no columns")
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: duplicate column names")
    by_name = {c.name: c for c in columns}
    seen_keys: dict[str, str] = {}
    for col in columns:
        for key in col.header_keys:
            if key in seen_keys and seen_keys[key] != col.name:
                raise SpecError(f"{where}: header alias key {key!r} matches both {seen_keys[key]} and {col.name}")
            seen_keys[key] = col.name
        if col.not_before and by_name.get(col.not_before) is None:
            raise SpecError(f"{where}: {col.name}.not_before names unknown column {col.not_before!r}")
        if col.not_before and (
            col.type not in ("date", "yearmonth") or by_name[col.not_before].type not in ("date", "yearmonth")
        ):
            raise SpecError(f"{where}: {col.name}.not_before needs two date columns")
        if col.not_future and col.type not in ("date", "yearmonth"):
            raise SpecError(f"{where}: {col.name}.not_future needs a date column")
        if col.max_over and col.max_over.column not in by_name:
            raise SpecError(f"{where}: {col.name}.max_over names unknown column {col.max_over.column!r}")
        if (col.min is not None or col.max is not None or col.max_over) and col.type not in ("integer", "decimal"):
            raise SpecError(f"{where}: {col.name}: min/max/max_over need a number column")
    raw_names = [n for c in columns for n, _ in c.raw_columns()]
    if len(set(raw_names)) != len(raw_names):
        raise SpecError(f"{where}: raw column names clash: {raw_names}")
    replace_by = tuple(raw.get("replace_by") or ())
    for name in replace_by:
        if name not in raw_names:
            raise SpecError(f"{where}: replace_by names unknown column {name!r}")
    month_of = _month_of(raw.get("month_of"), by_name, where)
    return SourceSpec(
        kind=kind,
        description=str(raw.get("description") or "").strip(),
        replace_by=replace_by,
        month_of=month_of,
        columns=columns,
        path=path,
    )


def _month_of(value: Any, by_name: dict[str, ColumnSpec], where: str) -> MonthOf | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in by_name or by_name[value].type not in ("date", "yearmonth"):
            raise SpecError(f"{where}: month_of must name a date/yearmonth column, got {value!r}")
        return MonthOf(date_column=value)
    if isinstance(value, dict) and set(value) == {"year", "month"}:
        for key in ("year", "month"):
            if value[key] not in by_name or by_name[value[key]].type != "integer":
                raise SpecError(f"{where}: month_of.{key} must name an integer column")
        return MonthOf(year_column=value["year"], month_column=value["month"])
    raise SpecError(f"{where}: month_of must be a column name or {{year: ..., month: ...}}")


@lru_cache(maxsize=4)
def _load_specs_cached(spec_dir: Path, seeds_dir: Path) -> tuple[SourceSpec, ...]:
    code_lists = load_code_lists(seeds_dir)
    return tuple(load_spec(p, code_lists) for p in sorted(spec_dir.glob("*.yml")))


def load_specs(spec_dir: Path | None = None, seeds_dir: Path | None = None) -> dict[str, SourceSpec]:
    """Every source kind's spec, keyed by kind (cached per directory pair)."""
    specs = _load_specs_cached((spec_dir or SOURCES_SPEC_DIR).resolve(), (seeds_dir or SEEDS_DIR).resolve())
    return {s.kind: s for s in specs}
