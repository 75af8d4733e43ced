"""A throwaway PostgreSQL cluster for the tests and the benchmark (not for production).

It uses the server binaries of the distribution's `postgresql` package
(`/usr/lib/postgresql/<version>/bin`): `initdb` in a new temporary folder, `pg_ctl start` on a
free port of 127.0.0.1 (socket in the data folder, trust authentication: nothing outside this
machine can reach it), and `pg_ctl stop` plus removal of the folder at the end. PostgreSQL
refuses to run as root, so under root the commands run as the `postgres` user the package
creates, in a folder that user owns.

    with throwaway_cluster() as cluster:
        url = cluster.create_writer()   # postgresql://finsam@127.0.0.1:<port>/finsam
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
INSTALL_HINT = (
    "install the distribution's PostgreSQL server (Debian: `apt-get install postgresql`; `make test` does it)"
)


class NoPostgres(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_bin_dir() -> Path:
    """The newest installed server's bin folder (the one with initdb and pg_ctl)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        found = shutil.which("initdb")
        if found is None:
            raise NoPostgres(f"no initdb under /usr/lib/postgresql/*/bin or on PATH: {INSTALL_HINT}")
        return Path(found).resolve().parent
    return candidates[-1].parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bin_dir: Path
    data_dir: Path
    port: int
    as_server_user: bool

    def url(self, user: str = SERVER_USER, dbname: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_server_user:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd="/")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1"
        try:
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                options,
                "-w",
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log_file = self.data_dir / "server.log"
            tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {exc.stderr.strip()}\n{tail}") from None

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def sql(self, statement: str, params: object = None, dbname: str = "postgres") -> list[tuple]:
        """One statement as the superuser, in autocommit; its rows (if any)."""
        import psycopg

        with psycopg.connect(self.url(SERVER_USER, dbname), autocommit=True) as conn:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def create_writer(self, role: str = "finsam", dbname: str = "finsam") -> str:
        """The publish's writer as docs/postgresql.md describes it: LOGIN CREATEROLE, owns the
        database, no superuser. Returns its connection URL."""
        from psycopg import sql

        self.sql(sql.SQL("create role {} login createrole").format(sql.Identifier(role)))
        self.sql(
            sql.SQL("create database {} owner {} encoding 'UTF8'").format(sql.Identifier(dbname), sql.Identifier(role))
        )
        return self.url(role, dbname)


@contextlib.contextmanager
def throwaway_cluster(durable: bool = True, icu_locale: str | None = None) -> Iterator[Cluster]:
    """Start a new cluster; stop it and delete its files on exit.

    durable=False turns fsync off: faster for tests, never for numbers that should mean
    something about a real server. A killed server still keeps every commit (the WAL reaches
    the OS before COMMIT returns; only a crash of the machine would lose it).

    icu_locale (e.g. "sv-SE") makes that ICU locale the default collation, as a DBA's server
    has a language collation (sv_SE.UTF-8, en_US.UTF-8) rather than C; it needs PostgreSQL 15
    or later built with ICU (Debian's is). Without it the default collation is libc's C.UTF-8.
    """
    bin_dir = find_bin_dir()
    as_server_user = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="finsam-pg-"))
    data_dir = root / "data"
    if as_server_user:
        server = pwd.getpwnam(SERVER_USER)
        os.chown(root, server.pw_uid, server.pw_gid)
    cluster = Cluster(bin_dir=bin_dir, data_dir=data_dir, port=free_port(), as_server_user=as_server_user)
    try:
        args = ["initdb", "-D", str(data_dir), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
        if icu_locale:
            args += ["--locale-provider=icu", f"--icu-locale={icu_locale}"]
        if not durable:
            args.append("--no-sync")
        cluster._run(*args)
        if not durable:
            with open(data_dir / "postgresql.conf", "a") as conf:
                conf.write("fsync = off\nfull_page_writes = off\n")
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
