"""The nightly scope: what a refresh must recompute, compared with the last successful build.

A real night changes little: `as_of` moves a day and a few förbund drop new exports. Rebuilding
every mart from scratch redoes years of closed periods that cannot have changed. So before dbt
runs, the dbt asset compares the warehouse with the state its last successful build recorded
(`pipeline_state.builds`: one row per successful build, with its as_of, the dbt project's
fingerprint and what it rebuilt; `pipeline_state.last_build_files`: the raw files the last one
was built from) and decides:

- **full** (`dbt build --full-refresh`, every row rebuilt) when there is no earlier build, the
  dbt project, a seed or the DuckDB / dbt versions changed, as_of moved back, `--force` was
  given, or a new file belongs to a kind whose rows carry no förbund (Pro Capita and step
  measurements are matched to episodes by person, so any förbund may change);
- **nightly** otherwise: the förbund whose files are new (from the new files' own rows), and
  the last build's as_of. Incremental models then recompute only rows of those förbund and rows
  of periods that had not ended at the last build (dbt_project/macros/nightly_scope.sql).

The decision is written to `pipeline_state.nightly_scope` / `nightly_scope_forbund` for the
models to read, and after dbt succeeded `record_build` stores the new state. A build that fails
records nothing, so the next refresh recomputes at least the same scope again (deleting and
inserting a scope twice gives the same rows).

What comes after dbt (the mart suites, publish, the reports) works on what changed since the
build that was last published: `changes_since(build_id)` joins the scopes of every build after
it (publish records the build it published). A night whose publish was held back by a failed
check is then checked and published again together with the next one.

Transform decides and records the scope; publish and the mart checks read what changed. So the
module is in none of their packages: publish does not import transform.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.sources.spec import load_specs

STATE_SCHEMA = "pipeline_state"


# The insats register assigns ledger rows and step measurements to their förbund by Insats-ID,
# so a new register can move rows of other kinds between förbund: it makes the build full.
REGISTER_KIND = "insatser"


def per_forbund_kinds() -> frozenset[str]:
    """Raw kinds whose newest file replaces older rows per förbund (`replace_by` names `forbund`
    in pipelines/sources/<kind>.yml): a new file of these changes only the förbund in it. The
    ledger names förbund too, but a newer file replaces whole months, for every förbund."""
    return frozenset(
        spec.kind
        for spec in load_specs().values()
        if "forbund" in spec.replace_by and spec.month_of is None and spec.kind != REGISTER_KIND
    )


@dataclass(frozen=True)
class Scope:
    full: bool
    reason: str
    since_as_of: dt.date | None = None
    forbund: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.full:
            return f"full build: {self.reason}"
        if self.since_as_of is None:
            return f"nothing to rebuild: {self.reason}"
        changed = ", ".join(self.forbund) if self.forbund else "none"
        return (
            f"nightly build: periods open at {self.since_as_of.isoformat()} and förbund with new files "
            f"({changed}); {self.reason}"
        )


def _table_exists(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> bool:
    """Whether pipeline_state.`table` exists, in `database` (an attached one) or the default."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ? "
            "and table_catalog = coalesce(?, current_database())",
            [STATE_SCHEMA, table, database],
        ).fetchone()[0]
    )


def decide_scope(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, project_fingerprint: str, force: bool = False
) -> Scope:
    if force:
        return Scope(full=True, reason="a rebuild was asked for (--force)")
    last = latest_build(con)
    if last is None:
        return Scope(full=True, reason="no earlier build in this warehouse")
    _, last_as_of, last_fingerprint = last
    if last_fingerprint != project_fingerprint:
        return Scope(full=True, reason="the dbt project, its seeds or the DuckDB / dbt versions changed")
    if as_of < last_as_of:
        return Scope(full=True, reason=f"as_of moved back from {last_as_of.isoformat()}")
    new_files = con.execute(
        "select kind, sha256 from raw._file_ledger where status = 'loaded' "
        "and sha256 not in (select sha256 from pipeline_state.last_build_files) order by kind, sha256"
    ).fetchall()
    kinds = sorted({kind for kind, _ in new_files} - per_forbund_kinds())
    if kinds:
        return Scope(full=True, reason=f"new files of {', '.join(kinds)}, whose rows may touch every förbund")
    forbund: set[str] = set()
    for kind in sorted({kind for kind, _ in new_files}):
        shas = [sha for k, sha in new_files if k == kind]
        placeholders = ", ".join("?" for _ in shas)
        rows = con.execute(
            f"select distinct forbund from raw.{kind} where _sha256 in ({placeholders}) and forbund is not null",
            shas,
        ).fetchall()
        forbund.update(r[0] for r in rows)
    files = f"{len(new_files)} new file(s)" if new_files else "no new files"
    return Scope(full=False, reason=files, since_as_of=last_as_of, forbund=tuple(sorted(forbund)))


def write_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """The build's data date for dbt (dbt_project/macros/as_of.sql): a table, not a dbt var, so
    that dbt's partial parsing survives the date moving."""
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute("create or replace table pipeline_state.run_as_of as select ?::date as as_of", [as_of])


def write_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """The scope for dbt's models to read; a full build leaves no scope (everything is rebuilt)."""
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    drop_scope(con)
    if scope.full:
        return
    con.execute("create table pipeline_state.nightly_scope (since_as_of date not null)")
    con.execute("insert into pipeline_state.nightly_scope values (?)", [scope.since_as_of])
    con.execute("create table pipeline_state.nightly_scope_forbund (forbund varchar not null)")
    if scope.forbund:
        con.execute(
            "insert into pipeline_state.nightly_scope_forbund select unnest(?::varchar[])", [list(scope.forbund)]
        )


def loaded_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The raw files a build is about to read (SHA-256 of every loaded file)."""
    return [r[0] for r in con.execute("select sha256 from raw._file_ledger where status = 'loaded'").fetchall()]


def drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    """No scope left behind: a later dbt run by hand rebuilds everything it runs. The keys a
    night's models recomputed (`nightly_keys__<model>`, for their tests) go with it, so that a
    build never reads another build's."""
    con.execute("drop table if exists pipeline_state.nightly_scope")
    con.execute("drop table if exists pipeline_state.nightly_scope_forbund")
    keys = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = ? "
        "and starts_with(table_name, 'nightly_keys__')",
        [STATE_SCHEMA],
    ).fetchall()
    for (table,) in keys:
        con.execute(f'drop table {STATE_SCHEMA}."{table}"')


def upgrade_state(con: duckdb.DuckDBPyConnection) -> None:
    """The state tables as this version reads them, in a warehouse an earlier version built:
    `builds` gained `whole` (every build recorded before it was a build of the whole project).
    Without this a warehouse carried over from an earlier version fails every refresh."""
    if _table_exists(con, "builds"):
        con.execute("alter table pipeline_state.builds add column if not exists whole boolean default true")


def latest_build(con: duckdb.DuckDBPyConnection) -> tuple[int, dt.date, str] | None:
    """(build_id, as_of, project_fingerprint) of the last successful build of the whole project
    (a build of some models only, from the UI, leaves the others as they were), or None."""
    if not _table_exists(con, "builds"):
        return None
    return con.execute(
        "select build_id, as_of, project_fingerprint from pipeline_state.builds where whole "
        "order by build_id desc limit 1"
    ).fetchone()


def latest_build_id(con: duckdb.DuckDBPyConnection, database: str | None = None) -> int | None:
    """The id of the last successful build, also of some models only (what the marts of the
    warehouse, in `database` when it is attached under that name, come from), or None."""
    if not _table_exists(con, "builds", database):
        return None
    prefix = f"{database}." if database else ""
    return con.execute(f"select max(build_id) from {prefix}{STATE_SCHEMA}.builds").fetchone()[0]


def record_build(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    project_fingerprint: str,
    files: list[str],
    scope: Scope,
    whole: bool = True,
) -> int:
    """After a successful dbt build: the state the next refresh compares with (`files`: what
    `loaded_files` returned before the build) and what this build rebuilt (`scope`). A build of
    some models only (`whole` false: materialised from the UI) is recorded as a full change for
    publish, and is no baseline for the next build's scope. Returns the new build's id."""
    con.execute("begin")
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute(
        "create table if not exists pipeline_state.builds (build_id integer primary key, as_of date not null, "
        "project_fingerprint varchar not null, built_at timestamp not null, rebuilt_in_full boolean not null, "
        "since_as_of date, forbund varchar[], whole boolean not null)"
    )
    build_id = con.execute("select coalesce(max(build_id), 0) + 1 from pipeline_state.builds").fetchone()[0]
    con.execute(
        "insert into pipeline_state.builds values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            build_id,
            as_of,
            project_fingerprint,
            dt.datetime.now(),
            scope.full or not whole,
            scope.since_as_of,
            list(scope.forbund),
            whole,
        ],
    )
    # the history only has to reach back to the last publish; a year of nights is a few hundred rows
    con.execute("delete from pipeline_state.builds where built_at < now() - interval 400 day")
    if whole:
        con.execute("create or replace table pipeline_state.last_build_files (sha256 varchar not null)")
        con.execute("insert into pipeline_state.last_build_files select unnest(?::varchar[])", [files])
    drop_scope(con)
    con.execute("commit")
    return build_id


def changes_since(con: duckdb.DuckDBPyConnection, build_id: int | None) -> Scope:
    """What changed in the warehouse's marts after build `build_id` (the one last published):
    the scopes of every later build joined. Full when any of them was, or when `build_id` is
    unknown (nothing published yet, or its record is gone)."""
    if build_id is None or not _table_exists(con, "builds"):
        return Scope(full=True, reason="no published build to compare with")
    later = con.execute(
        "select rebuilt_in_full, since_as_of, forbund from pipeline_state.builds where build_id > ? order by build_id",
        [build_id],
    ).fetchall()
    known = con.execute("select count(*) from pipeline_state.builds where build_id = ?", [build_id]).fetchone()[0]
    if not known:
        return Scope(full=True, reason=f"build {build_id} is not in the build history")
    if any(full for full, _, _ in later):
        return Scope(full=True, reason="a full build since the last publish")
    if not later:
        return Scope(full=False, reason="nothing built since the last publish", since_as_of=None, forbund=())
    since = min(s for _, s, _ in later)
    forbund = sorted({f for _, _, fs in later for f in (fs or ())})
    return Scope(
        full=False, reason=f"{len(later)} build(s) since the last publish", since_as_of=since, forbund=tuple(forbund)
    )


@dataclass(frozen=True)
class ScopedMart:
    """A mart built with the nightly_scope strategy and the columns its scope is stated in."""

    name: str
    forbund: str
    period_slut: str | None
    months_back: int


def scoped_marts(manifest_path: Path) -> dict[str, ScopedMart]:
    """The marts of the dbt manifest that a night rebuilds only in part, by name."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    out = {}
    for node in manifest.get("nodes", {}).values():
        config = node.get("config", {})
        scope = config.get("nightly_scope") or {}
        in_part = node.get("resource_type") == "model" and config.get("incremental_strategy") == "nightly_scope"
        if in_part and scope.get("forbund") and scope.get("period_slut") and node.get("schema") == "marts":
            out[node["name"]] = ScopedMart(
                node["name"], scope["forbund"], scope["period_slut"], int(scope.get("months_back", 0))
            )
    return out


def rows_changed(changes: Scope, mart: ScopedMart) -> tuple[str, list]:
    """A WHERE condition (with its parameters) for the rows of `mart` that `changes` may have
    changed, the same rows dbt_project/macros/nightly_scope.sql recomputes."""
    parts, params = [], []
    if changes.forbund:
        parts.append(f"{mart.forbund} in (select unnest(?::varchar[]))")
        params.append(list(changes.forbund))
    if changes.since_as_of is not None and mart.period_slut:
        parts.append(f"{mart.period_slut} > ?::date - to_months(?)")
        params += [changes.since_as_of, mart.months_back]
    return ("(" + " or ".join(parts) + ")" if parts else "false"), params
