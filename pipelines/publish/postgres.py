"""Publish the marts to PostgreSQL (optional, `FINSAM_POSTGRES_URL`), readable per förbund.

One concern: copy the tables of schema `marts` in `bi.duckdb` into a PostgreSQL database, swap
them in whole, and keep the roles and row-level security that decide who sees which rows.

Order of work (docs/postgresql.md explains it for the database administrator):
1. Load into a new schema: in one transaction, create the missing roles (`finsam_<slug>` per
   förbund, `finsam_alla`), drop a leftover `marts_new`, create it and grant USAGE on it; then
   each table in a transaction of its own, over LOAD_CONNECTIONS connections in parallel when
   there are enough rows (largest marts first): create it with explicitly mapped types
   (`PG_TYPES`, text in collation "C"), bulk-load it with COPY FREEZE (CSV written by Arrow
   from DuckDB's record batches, never row by row), add the primary key from the mart's key
   (`pipelines/quality/suites.yml`) and an index on (period_typ, period_id) where the
   dashboards need it, ANALYZE, grant
   SELECT and, on a mart with a förbund, enable row-level security with one SELECT policy per
   role. Nothing of `marts` is touched: a failure, or a server that goes away, leaves a
   half-loaded `marts_new` that the publish drops (or the next one, when the server is gone).
2. Swap, in one short transaction with `lock_timeout`: `marts` → `marts_old`, `marts_new` →
   `marts`, drop the old tables and schema. Readers see yesterday's marts or today's, never
   half. A reader query still running on an old table holds its lock; when it outlasts the
   timeout the swap is rolled back and tried again, and after the last try the publish fails
   with yesterday's marts in place.
The old tables are dropped one by one without CASCADE: a view someone built on them in
another schema makes the swap fail with PostgreSQL's message naming it, instead of being
dropped silently.

Every name reaches SQL through `psycopg.sql.Identifier` and every value through
`sql.Literal` or a parameter: a förbund called `O'Brien; drop table x` is just a string.

It stays one module, long as it is, because loading, securing and swapping are the steps of
that one concern and share its connections, its schema names and its failure handling.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import yaml
from psycopg import sql

log = logging.getLogger(__name__)

# The mart suites name each mart's key (the one GX checks is unique); it becomes the primary key.
SUITES_YML = Path(__file__).resolve().parent.parent / "quality" / "suites.yml"

MARTS_SCHEMA = "marts"
NEW_SCHEMA = "marts_new"
OLD_SCHEMA = "marts_old"
ROLE_PREFIX = "finsam_"
ALL_ROLE = "finsam_alla"
FORBUND_COLUMN = "forbund"
PERIOD_COLUMNS = ("period_typ", "period_id")
BATCH_ROWS = 200_000
# PostgreSQL truncates longer identifiers silently; two förbund could then share a role.
MAX_IDENTIFIER_BYTES = 63
# The swap waits at most this long for a reader's lock on an old table, then rolls back and tries
# again after SWAP_RETRY_PAUSE_S; while it waits, new queries on that table queue behind it, so
# the wait is short and the retries are few (about a minute in all before the publish fails).
SWAP_LOCK_TIMEOUT = "5s"
SWAP_ATTEMPTS = 6
SWAP_RETRY_PAUSE_S = 5.0
CONNECT_TIMEOUT_S = 15
# Two installations pointed at one database must not interleave their loads and swaps: the
# publish holds this session-level advisory lock (per database) from connect to close.
PUBLISH_LOCK_KEY = "finsam publish marts"
# Per loading transaction (SET LOCAL): the index sorts of the largest marts spill fewer runs to disk.
MAINTENANCE_WORK_MEM = "1GB"
# The load runs over this many connections (one server backend each parses COPY and sorts for
# the indexes), each taking the largest mart not yet taken; below PARALLEL_MIN_ROWS mart rows
# in all, one connection does it all (extra connections cost more than they save).
LOAD_CONNECTIONS = 2
# Text columns compare byte by byte, as DuckDB's VARCHAR does, whatever the database's default
# collation: the key order DuckDB feeds is then exactly the primary key's order, the index sorts
# compare with memcmp rather than strcoll/ICU, and ORDER BY gives bi.duckdb's order.
TEXT_COLLATION = "C"
# Marts that get no (period_typ, period_id) index: the dashboards read them per förbund (the
# primary key's prefix) and never across förbund by period; the index would cost a sort of
# their eight to ten million rows on every publish. A query of one period over all förbund
# there reads the table in parallel instead.
NO_PERIOD_INDEX = frozenset({"forsorjning", "forsorjning_overgang"})
PARALLEL_MIN_ROWS = 200_000

# DuckDB type (as information_schema.columns names it) -> PostgreSQL type. Each one round-trips:
# the value read back from PostgreSQL equals the one in bi.duckdb, with the same Python type
# (except HUGEINT and UBIGINT, which have no PostgreSQL integer wide enough: Decimal, not int).
PG_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(39,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_SLUG_LETTERS = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e"})


class PostgresPublishError(RuntimeError):
    """The PostgreSQL publish failed; the database still has the previous marts."""


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str

    @property
    def pg_type(self) -> str:
        return pg_type(self.duckdb_type)


@dataclass(frozen=True)
class Mart:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # empty when the mart declares none

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def has_forbund(self) -> bool:
        return FORBUND_COLUMN in self.column_names


@dataclass(frozen=True)
class PostgresResult:
    target: str  # host:port/dbname, never the password
    tables: dict[str, int]  # mart -> rows loaded
    roles: dict[str, str]  # förbund -> role
    created_roles: list[str] = field(default_factory=list)
    load_s: float = 0.0
    swap_s: float = 0.0


def pg_type(duckdb_type: str) -> str:
    if duckdb_type in PG_TYPES:
        return PG_TYPES[duckdb_type]
    if m := _DECIMAL.match(duckdb_type):
        return f"numeric({m.group(1)},{m.group(2)})"
    if duckdb_type.startswith("ENUM("):
        return "text"
    if duckdb_type.endswith("[]"):
        return pg_type(duckdb_type[:-2]) + "[]"
    raise PostgresPublishError(f"no PostgreSQL type for DuckDB type {duckdb_type}: add it to PG_TYPES in {__name__}")


def role_slug(forbund: str) -> str:
    """marts.md: lower case, å ä → a, ö → o, é → e, other runs outside a–z0–9 → `_`, trimmed."""
    return re.sub(r"[^a-z0-9]+", "_", forbund.lower().translate(_SLUG_LETTERS)).strip("_")


def role_for(forbund: str) -> str:
    """finsam_<slug>; a slug too long for a PostgreSQL name (63 bytes) keeps its first letters
    and ends in 8 hex digits of the slug's SHA-256, so the role stays one per förbund and the
    same every night ("Samordningsförbundet Täby Danderyd Vallentuna Österåker Vaxholm" is one)."""
    role = ROLE_PREFIX + role_slug(forbund)
    if len(role.encode()) <= MAX_IDENTIFIER_BYTES:
        return role
    digest = hashlib.sha256(role.encode()).hexdigest()[:8]
    return role[: MAX_IDENTIFIER_BYTES - len(digest) - 1].rstrip("_") + "_" + digest


def forbund_roles(forbund_names: list[str]) -> dict[str, str]:
    """One role per förbund; a name that gives no role, or the role of another förbund, stops the
    publish: sharing a role would show one förbund's rows to another."""
    roles: dict[str, str] = {}
    owner: dict[str, str] = {}
    for name in sorted(forbund_names):
        role = role_for(name)
        if role in (ROLE_PREFIX, ALL_ROLE):
            raise PostgresPublishError(f"förbund {name!r} gives the role name {role!r}, which cannot be its own role")
        if role in owner:
            raise PostgresPublishError(f"förbund {owner[role]!r} and {name!r} would share the role {role}")
        owner[role] = name
        roles[name] = role
    return roles


def mart_keys() -> dict[str, tuple[str, ...]]:
    """Each mart's key, from the mart suites (the same key GX checks is unique)."""
    marts = yaml.safe_load(SUITES_YML.read_text(encoding="utf-8")).get("marts") or {}
    return {name: tuple(d["key"]) for name, d in marts.items() if d and d.get("key")}


def read_marts(con: duckdb.DuckDBPyConnection) -> list[Mart]:
    keys = mart_keys()
    rows = con.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where c.table_schema = ? and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position",
        [MARTS_SCHEMA],
    ).fetchall()
    columns: dict[str, list[Column]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, []).append(Column(column, data_type))
    marts = []
    for name, cols in columns.items():
        key = keys.get(name, ())
        if not set(key) <= {c.name for c in cols}:
            key = ()  # a key naming a column the mart does not have is not this mart's key
        marts.append(Mart(name=name, columns=tuple(cols), key=key))
    return marts


def target_of(url: str) -> str:
    """host:port/dbname of a connection URL, for logs and messages (no user, no password)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def _csv_chunks(con: duckdb.DuckDBPyConnection, mart: Mart) -> Iterator[memoryview]:
    """The mart's rows as CSV, one chunk per Arrow record batch. Every non-null value is quoted,
    so PostgreSQL reads an unquoted empty field as NULL and `""` as the empty string."""
    select = sql_duckdb_select(mart)
    reader = con.execute(select).to_arrow_reader(BATCH_ROWS)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    for batch in reader:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(batch, sink, options)
        yield memoryview(sink.getvalue())


def sql_duckdb_select(mart: Mart) -> str:
    quoted = _duck_quoted

    def expression(c: Column) -> str:
        name = quoted(c.name)
        if c.duckdb_type.endswith("[]"):
            # A list becomes PostgreSQL's array literal {"a","b"}: each element quoted, with
            # backslash and double quote escaped; a null element is NULL.
            element = "coalesce('\"' || replace(replace(e::VARCHAR, '\\', '\\\\'), '\"', '\\\"') || '\"', 'NULL')"
            return (
                f"case when {name} is null then null else "
                f"'{{' || array_to_string(list_transform({name}, e -> {element}), ',') || '}}' end as {name}"
            )
        if c.duckdb_type.startswith("ENUM("):
            return f"{name}::VARCHAR as {name}"
        return name

    cols = ", ".join(expression(c) for c in mart.columns)
    # In key order: the primary key's sort then finds its input already sorted (text columns
    # are in collation "C", DuckDB's byte order), and one förbund's rows sit together on disk
    # for the policies' queries.
    order = f" order by {', '.join(map(quoted, mart.key))}" if mart.key else ""
    return f"select {cols} from {MARTS_SCHEMA}.{quoted(mart.name)}{order}"


def sql_duckdb_count(mart: Mart) -> str:
    return f"select count(*) from {MARTS_SCHEMA}.{_duck_quoted(mart.name)}"


def _duck_quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _existing_roles(cur: psycopg.Cursor, names: list[str]) -> set[str]:
    cur.execute("select rolname from pg_roles where rolname = any(%s)", [names])
    return {r[0] for r in cur.fetchall()}


def _ensure_roles(cur: psycopg.Cursor, roles: list[str]) -> list[str]:
    """Create the roles that are missing; existing ones (maybe made by the DBA) are left as they are."""
    missing = [r for r in roles if r not in _existing_roles(cur, roles)]
    for role in missing:
        cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    return missing


def _create_and_load(cur: psycopg.Cursor, duck: duckdb.DuckDBPyConnection, mart: Mart) -> int:
    table = sql.Identifier(NEW_SCHEMA, mart.name)
    collate = sql.SQL(" collate {}").format(sql.Identifier(TEXT_COLLATION))
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}{}").format(
            sql.Identifier(c.name), sql.SQL(c.pg_type), collate if c.pg_type.startswith("text") else sql.SQL("")
        )
        for c in mart.columns
    )
    cur.execute(sql.SQL("create table {} ({})").format(table, columns))
    # FREEZE: the table is new in this transaction, so its rows can be written frozen and
    # all-visible: readers never pay for setting hint bits, and no vacuum has to visit them.
    copy_sql = sql.SQL("copy {} ({}) from stdin (format csv, freeze true)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, mart.column_names))
    )
    with cur.copy(copy_sql) as copy:
        for chunk in _csv_chunks(duck, mart):
            copy.write(chunk)
    return cur.rowcount


def _index(cur: psycopg.Cursor, mart: Mart) -> None:
    table = sql.Identifier(NEW_SCHEMA, mart.name)
    if mart.key:
        cur.execute(
            sql.SQL("alter table {} add primary key ({})").format(
                table, sql.SQL(", ").join(map(sql.Identifier, mart.key))
            )
        )
    # Dashboards filter on a period across all förbund (key prefix: forbund) and, through the
    # policies, on one förbund (the key's prefix, or an index of its own when the key has none).
    wanted = []
    if (
        all(c in mart.column_names for c in PERIOD_COLUMNS)
        and mart.key[:2] != PERIOD_COLUMNS
        and mart.name not in NO_PERIOD_INDEX
    ):
        wanted.append(PERIOD_COLUMNS)
    if mart.has_forbund and mart.key[:1] != (FORBUND_COLUMN,):
        wanted.append((FORBUND_COLUMN,))
    for cols in wanted:
        name = f"{mart.name}__{'__'.join(cols)}"[:MAX_IDENTIFIER_BYTES]
        cur.execute(
            sql.SQL("create index {} on {} ({})").format(
                sql.Identifier(name), table, sql.SQL(", ").join(map(sql.Identifier, cols))
            )
        )


def _secure(cur: psycopg.Cursor, mart: Mart, roles: dict[str, str]) -> None:
    """SELECT for every reader role; on marts with a förbund, each role sees only its rows."""
    table = sql.Identifier(NEW_SCHEMA, mart.name)
    readers = sql.SQL(", ").join(map(sql.Identifier, [ALL_ROLE, *roles.values()]))
    cur.execute(sql.SQL("grant select on {} to {}").format(table, readers))
    if not mart.has_forbund:
        return
    cur.execute(sql.SQL("alter table {} enable row level security").format(table))
    cur.execute(
        sql.SQL("create policy {} on {} for select to {} using (true)").format(
            sql.Identifier(ALL_ROLE), table, sql.Identifier(ALL_ROLE)
        )
    )
    for forbund, role in roles.items():
        cur.execute(
            sql.SQL("create policy {} on {} for select to {} using ({} = {})").format(
                sql.Identifier(role), table, sql.Identifier(role), sql.Identifier(FORBUND_COLUMN), sql.Literal(forbund)
            )
        )


def _load_table(conn: psycopg.Connection, duck: duckdb.DuckDBPyConnection, mart: Mart, roles: dict[str, str]) -> int:
    """One mart, in one transaction: create, COPY FREEZE, keys and indexes, statistics, grants and
    policies. The table is complete when it commits: nobody, autovacuum included, sees it half
    set up (a later ALTER TABLE on it would wait for, and could deadlock with, autovacuum's
    first VACUUM of the freshly loaded table)."""
    with conn.transaction(), conn.cursor() as cur:
        # For this transaction only: the index sorts get more memory (fewer runs on disk), and
        # the commit does not wait for the WAL flush (the swap's commit, later, does and makes
        # all of it durable; a crash before that leaves a marts_new the next publish drops).
        cur.execute(sql.SQL("set local maintenance_work_mem = {}").format(sql.Literal(MAINTENANCE_WORK_MEM)))
        cur.execute("set local synchronous_commit = off")
        rows = _create_and_load(cur, duck, mart)
        _index(cur, mart)
        # statistics for the planner before the first reader arrives
        cur.execute(sql.SQL("analyze {}").format(sql.Identifier(NEW_SCHEMA, mart.name)))
        _secure(cur, mart, roles)
    return rows


def _load_tables(
    conn: psycopg.Connection,
    url: str,
    duck: duckdb.DuckDBPyConnection,
    marts: list[Mart],
    roles: dict[str, str],
    connections: int,
) -> dict[str, int]:
    """Load the marts (largest first) over `connections` connections, each taking the next mart
    not yet taken. The first error stops the others from taking more and is raised."""
    todo = list(marts)
    taken = threading.Lock()
    failed = threading.Event()
    tables: dict[str, int] = {}

    def work(pg: psycopg.Connection) -> None:
        with duck.cursor() as own_duck:  # a DuckDB connection per thread
            while not failed.is_set():
                with taken:
                    if not todo:
                        return
                    mart = todo.pop(0)
                try:
                    tables[mart.name] = _load_table(pg, own_duck, mart, roles)
                except BaseException:
                    failed.set()
                    raise

    if connections <= 1:
        work(conn)
        return tables
    extra = [
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, application_name="finsam publish", autocommit=True)
        for _ in range(connections - 1)
    ]
    try:
        with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="publish-pg") as pool:
            futures = [pool.submit(work, pg) for pg in [conn, *extra]]
            errors = [f.exception() for f in futures]
    finally:
        for pg in extra:
            pg.close()
    for error in errors:
        if error is not None:
            raise error
    return tables


def _load(
    conn: psycopg.Connection,
    url: str,
    duck: duckdb.DuckDBPyConnection,
    marts: list[Mart],
    roles: dict[str, str],
    comment: str,
) -> tuple[dict[str, int], list[str]]:
    with conn.transaction(), conn.cursor() as cur:
        created = _ensure_roles(cur, [ALL_ROLE, *roles.values()])
        cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(NEW_SCHEMA)))
        cur.execute(sql.SQL("create schema {}").format(sql.Identifier(NEW_SCHEMA)))
        cur.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(NEW_SCHEMA), sql.Literal(comment)))
        readers = sql.SQL(", ").join(map(sql.Identifier, [ALL_ROLE, *roles.values()]))
        cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(NEW_SCHEMA), readers))
    sizes = {m.name: duck.execute(sql_duckdb_count(m)).fetchone()[0] for m in marts}
    connections = LOAD_CONNECTIONS if sum(sizes.values()) >= PARALLEL_MIN_ROWS else 1
    loaded = _load_tables(conn, url, duck, sorted(marts, key=lambda m: -sizes[m.name]), roles, connections)
    return {m.name: loaded[m.name] for m in marts}, created


def _swap_once(conn: psycopg.Connection) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
        cur.execute("select nspname from pg_namespace where nspname = any(%s)", [[MARTS_SCHEMA, OLD_SCHEMA]])
        present = {r[0] for r in cur.fetchall()}
        if OLD_SCHEMA in present:  # left by someone's manual work; ours never outlive the swap
            _drop_schema_restrict(cur, OLD_SCHEMA)
        if MARTS_SCHEMA in present:
            cur.execute(
                sql.SQL("alter schema {} rename to {}").format(sql.Identifier(MARTS_SCHEMA), sql.Identifier(OLD_SCHEMA))
            )
        cur.execute(
            sql.SQL("alter schema {} rename to {}").format(sql.Identifier(NEW_SCHEMA), sql.Identifier(MARTS_SCHEMA))
        )
        if MARTS_SCHEMA in present:
            _drop_schema_restrict(cur, OLD_SCHEMA)


def _drop_schema_restrict(cur: psycopg.Cursor, schema: str) -> None:
    """Drop a schema and its tables, but not what others built on them (no CASCADE)."""
    cur.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p') order by 1",
        [schema],
    )
    tables = [sql.Identifier(schema, r[0]) for r in cur.fetchall()]
    if tables:
        cur.execute(sql.SQL("drop table {}").format(sql.SQL(", ").join(tables)))
    cur.execute(sql.SQL("drop schema {}").format(sql.Identifier(schema)))


def _swap(conn: psycopg.Connection) -> None:
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            _swap_once(conn)
            return
        except psycopg.errors.LockNotAvailable as exc:
            if attempt == SWAP_ATTEMPTS:
                raise PostgresPublishError(
                    f"could not swap in the new marts: a query held a table of schema {MARTS_SCHEMA} longer than "
                    f"{SWAP_LOCK_TIMEOUT} on each of {SWAP_ATTEMPTS} tries ({exc.diag.message_primary})"
                ) from exc
            log.info("swap attempt %d waited %s for a reader's lock; trying again", attempt, SWAP_LOCK_TIMEOUT)
            time.sleep(SWAP_RETRY_PAUSE_S)


def _drop_new(url: str) -> None:
    """After a failed swap: remove the loaded schema (best effort; the next publish drops it too)."""
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(NEW_SCHEMA)))
    except psycopg.Error:
        log.warning("could not drop schema %s after a failed publish; the next publish drops it", NEW_SCHEMA)


def publish_postgres(bi_path: Path, url: str) -> PostgresResult:
    """Replace schema `marts` in the PostgreSQL database at `url` by the marts of `bi_path`.

    Raises PostgresPublishError with the reason when anything fails; the database then still
    has its previous `marts`.
    """
    target = target_of(url)
    kept = f"schema {MARTS_SCHEMA} there is as it was before this publish"
    try:
        return _publish(bi_path, url, target)
    except PostgresPublishError as exc:
        raise PostgresPublishError(f"PostgreSQL {target}: {exc}; {kept}") from exc
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__  # one line: it goes into the summary and alerts
        raise PostgresPublishError(f"PostgreSQL {target}: {type(exc).__name__}: {reason}; {kept}") from exc


def _publish(bi_path: Path, url: str, target: str) -> PostgresResult:
    duck = duckdb.connect(str(bi_path), read_only=True)
    try:
        marts = read_marts(duck)
        if not marts:
            raise PostgresPublishError(f"{bi_path} has no marts to publish")
        forbund = sorted(
            {
                r[0]
                for m in marts
                if m.has_forbund
                for r in duck.execute(
                    f'select distinct "{FORBUND_COLUMN}" from {MARTS_SCHEMA}."{m.name}" where "{FORBUND_COLUMN}" is not null'
                ).fetchall()
            }
        )
        roles = forbund_roles(forbund)
        comment = f"finsam marts from {bi_path.name}, published {time.strftime('%Y-%m-%dT%H:%M:%S%z')}"
        started = time.perf_counter()
        # autocommit: each conn.transaction() below is then one real transaction, committed at its end
        with psycopg.connect(
            url, connect_timeout=CONNECT_TIMEOUT_S, application_name="finsam publish", autocommit=True
        ) as conn:
            if not conn.execute("select pg_try_advisory_lock(hashtext(%s))", [PUBLISH_LOCK_KEY]).fetchone()[0]:
                raise PostgresPublishError("another publish to this database is running (advisory lock held)")
            try:
                tables, created = _load(conn, url, duck, marts, roles, comment)
            except BaseException:
                _drop_new(url)  # its tables were committed one by one; yesterday's marts are untouched
                raise
            loaded = time.perf_counter()
            try:
                _swap(conn)
            except BaseException:
                _drop_new(url)
                raise
    finally:
        duck.close()
    return PostgresResult(
        target=target,
        tables=tables,
        roles=roles,
        created_roles=created,
        load_s=round(loaded - started, 2),
        swap_s=round(time.perf_counter() - loaded, 2),
    )
