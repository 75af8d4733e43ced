"""The nightly scope: what a refresh must recompute, compared with the last successful build.

A real night changes little: `as_of` moves a day and a few förbund drop new exports. Rebuilding
every mart from scratch redoes years of closed periods that cannot have changed. So before dbt
runs, the dbt asset compares the warehouse with the state its last successful build recorded
(`pipeline_state.last_build`: as_of and the dbt project's fingerprint; `pipeline_state.
last_build_files`: the raw files it was built from) and decides:

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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from pipelines.ingest.spec import load_specs

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
        changed = ", ".join(self.forbund) if self.forbund else "none"
        return (
            f"nightly build: periods open at {self.since_as_of.isoformat()} and förbund with new files "
            f"({changed}); {self.reason}"
        )


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [STATE_SCHEMA, table],
        ).fetchone()[0]
    )


def decide_scope(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, project_fingerprint: str, force: bool = False
) -> Scope:
    if force:
        return Scope(full=True, reason="a rebuild was asked for (--force)")
    if not _table_exists(con, "last_build"):
        return Scope(full=True, reason="no earlier build in this warehouse")
    last = con.execute("select as_of, project_fingerprint from pipeline_state.last_build").fetchall()
    if len(last) != 1:
        return Scope(full=True, reason="no earlier build in this warehouse")
    last_as_of, last_fingerprint = last[0]
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
    """No scope left behind: a later dbt run by hand rebuilds everything it runs."""
    con.execute("drop table if exists pipeline_state.nightly_scope")
    con.execute("drop table if exists pipeline_state.nightly_scope_forbund")


def record_build(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, project_fingerprint: str, files: list[str], scope: Scope
) -> None:
    """After a successful dbt build: the state the next refresh compares with (`files`: what
    `loaded_files` returned before the build) and what this build rebuilt (`scope`)."""
    con.execute("begin")
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute(
        "create or replace table pipeline_state.last_build (as_of date not null, project_fingerprint varchar not null, "
        "built_at timestamp not null, rebuilt_in_full boolean not null, since_as_of date, forbund varchar[])"
    )
    con.execute(
        "insert into pipeline_state.last_build values (?, ?, ?, ?, ?, ?)",
        [as_of, project_fingerprint, dt.datetime.now(), scope.full, scope.since_as_of, list(scope.forbund)],
    )
    con.execute("create or replace table pipeline_state.last_build_files (sha256 varchar not null)")
    con.execute("insert into pipeline_state.last_build_files select unnest(?::varchar[])", [files])
    drop_scope(con)
    con.execute("commit")


def last_build_scope(con: duckdb.DuckDBPyConnection) -> Scope | None:
    """What the last successful build rebuilt, or None when nothing records it."""
    if not _table_exists(con, "last_build"):
        return None
    row = con.execute("select rebuilt_in_full, since_as_of, forbund from pipeline_state.last_build").fetchone()
    if row is None:
        return None
    full, since, forbund = row
    return Scope(full=full, reason="the last build", since_as_of=since, forbund=tuple(forbund or ()))
