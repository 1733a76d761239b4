"""The database a benchmark runs on: SQLite in its temporary folder (the default), a
throwaway PostgreSQL cluster that the benchmark starts and removes, or a given URL.

    with bench_database(DatabaseOptions("postgres"), folder) as db:
        instance = new_instance(folder, db.new_database())

A throwaway cluster is started as `.ci/run` starts one: Debian's PostgreSQL 15 binaries,
listening on 127.0.0.1 only, on a free port, with fsync off (a benchmark measures the
portal, not the disk), removed with its folder when the block ends. As root, initdb and
postgres run as the `postgres` user. Every call of `new_database()` creates an empty
database, so a benchmark that needs two (the import's real path and its baseline) gets two.
With `durable_commits`, the cluster commits as production does (fsync, full page writes and
synchronous_commit on), so a commit the portal acknowledged survives a crash of PostgreSQL:
the faults benchmark restarts it mid-load and looks for every acknowledged save.
With `--database-url`, the benchmark uses that server's database as it is given (it must be
empty, or hold only a migrated schema that the benchmark may fill) and creates no other.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("PORTAL_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASES = ("sqlite", "postgres")
START_TIMEOUT = 60.0


class DatabaseUnavailable(RuntimeError):
    """The database asked for cannot be had here (no PostgreSQL binaries, start failed)."""


@dataclass(frozen=True)
class DatabaseOptions:
    kind: str = "sqlite"  # sqlite | postgres
    url: str | None = None  # postgres only: use this database instead of a throwaway cluster
    # postgres only: the cluster's max_connections (workers x pool size must fit under it)
    max_connections: int = 300
    # postgres only: commit as production does (acknowledged = durable), not fsync off
    durable_commits: bool = False

    def __post_init__(self) -> None:
        if self.kind not in DATABASES:
            raise ValueError("database must be sqlite or postgres")
        if self.url and self.kind != "postgres":
            raise ValueError("--database-url needs --database postgres")

    def describe(self) -> str:
        if self.kind == "sqlite":
            return "SQLite in WAL mode, synchronous=NORMAL, busy_timeout 15 s"
        if self.url:
            return "PostgreSQL at a given URL"
        if self.durable_commits:
            return ("PostgreSQL 15, a throwaway cluster on loopback (fsync and "
                    "synchronous_commit on)")
        return "PostgreSQL 15, a throwaway cluster on loopback (fsync off)"


def add_arguments(parser) -> None:  # an argparse.ArgumentParser
    parser.add_argument("--database", choices=DATABASES, default="sqlite",
                        help="sqlite (default) or postgres: a throwaway cluster on loopback")
    parser.add_argument("--database-url", default=None,
                        help="with --database postgres: an existing, empty database to use")


def options_from(args) -> DatabaseOptions:
    return DatabaseOptions(args.database, args.database_url)


@dataclass
class Databases:
    """Hands out empty databases for one benchmark run."""

    options: DatabaseOptions
    folder: Path
    _cluster: _Cluster | None = None
    _count: int = field(default=0)

    @property
    def kind(self) -> str:
        return self.options.kind

    def new_database(self, name: str = "portal.sqlite3") -> str:
        """The URL of a new, empty database."""
        self._count += 1
        if self.options.kind == "sqlite":
            stem = Path(name).stem if self._count == 1 else f"{Path(name).stem}-{self._count}"
            return f"sqlite:///{self.folder / (stem + '.sqlite3')}"
        if self.options.url:
            if self._count > 1:
                raise DatabaseUnavailable("a given --database-url holds only one database")
            return self.options.url
        assert self._cluster is not None
        return self._cluster.create_database(f"bench_{self._count}")

    def restart(self, down_seconds: float = 0.0) -> None:
        """Crash the throwaway cluster (an immediate stop: no checkpoint, connections cut),
        keep it down for `down_seconds`, start it again on the same port."""
        if self._cluster is None:
            raise DatabaseUnavailable("only a throwaway PostgreSQL cluster can be restarted")
        self._cluster.restart(down_seconds)


@contextmanager
def bench_database(options: DatabaseOptions, folder: Path) -> Iterator[Databases]:
    if options.kind == "sqlite" or options.url:
        yield Databases(options, folder)
        return
    with throwaway_cluster(max_connections=options.max_connections,
                           durable_commits=options.durable_commits) as cluster:
        yield Databases(options, folder, cluster)


# -- a throwaway PostgreSQL cluster -------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class _Cluster:
    folder: Path
    port: int
    user: str
    password: str
    as_root: bool
    max_connections: int = 300
    durable_commits: bool = False

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = list(command)
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, cwd=self.folder, check=check, capture_output=True,
                              text=True, timeout=START_TIMEOUT, stdin=subprocess.DEVNULL)

    def psql(self, sql: str) -> None:
        self.run(str(PG_BIN / "psql"), "-h", str(self.folder), "-p", str(self.port),
                 "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://{self.user}:{self.password}"
                f"@127.0.0.1:{self.port}/{database}")

    def create_database(self, name: str) -> str:
        self.psql(f"CREATE DATABASE {name} OWNER {self.user} ENCODING 'UTF8'")
        return self.url(name)

    def start(self) -> None:
        result = self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                          str(self.folder / "postgres.log"), "-w", "-t", "60", "start", "-o",
                          self._server_options(), check=False)
        if result.returncode != 0:
            raise DatabaseUnavailable(f"PostgreSQL did not start: {self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
                 check=False)

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop (immediately, as a crash would), stay down `down_seconds`, and start again on
        the same port."""
        self.stop("immediate")
        if down_seconds > 0:
            time.sleep(down_seconds)
        self.start()

    def log_tail(self) -> str:
        log = self.folder / "postgres.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def _server_options(self) -> str:
        durability = ("-c fsync=on -c full_page_writes=on -c synchronous_commit=on"
                      if self.durable_commits else
                      "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        return (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                f"{durability} -c max_connections={self.max_connections}")


@contextmanager
def throwaway_cluster(*, max_connections: int = 300,
                      durable_commits: bool = False) -> Iterator[_Cluster]:
    """A PostgreSQL cluster in a new folder of /tmp (the benchmark's own temporary folder is
    private to its user, and postgres must enter it), on a free loopback port, removed after."""
    for tool in ("initdb", "pg_ctl", "psql"):
        if not (PG_BIN / tool).exists():
            raise DatabaseUnavailable(
                f"{PG_BIN / tool} is missing: install Debian's postgresql package "
                "(apt-get install postgresql) or pass --database-url")
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-pg."))
    if as_root:
        shutil.chown(folder, "postgres")
    cluster = _Cluster(folder, _free_port(), "portal", secrets.token_hex(12), as_root,
                       max_connections, durable_commits)
    result = cluster.run(str(PG_BIN / "initdb"), "-D", str(cluster.data), "--username=postgres",
                         "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
                         "--locale=C.UTF-8", check=False)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise DatabaseUnavailable(f"initdb failed: {result.stderr[-2000:]}")
    try:
        cluster.start()
        deadline = time.monotonic() + START_TIMEOUT
        while cluster.run(str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p",
                          str(cluster.port), check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(f"PostgreSQL not ready: {cluster.log_tail()}")
            time.sleep(0.2)
        cluster.psql(f"CREATE ROLE {cluster.user} LOGIN PASSWORD '{cluster.password}'")
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
