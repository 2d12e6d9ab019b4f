"""PostgreSQL from the Debian package (or the user's own), run as its own cluster.

Authentication, chosen for a developer stack: the cluster's superuser is
`postgres`; over the unix socket (in the run directory, reachable only by
whoever owns the workspace) it needs no password, over TCP every role needs
its password (scram-sha-256). The stack's user is an ordinary role that owns
the stack's databases, like a service account on a real server. The
superuser's password is the stack's password too, so tools work over TCP.

PostgreSQL refuses to run as root, so when ecomctl runs as root the cluster
runs as the `postgres` system user (see `ecomctl.infra.provision.privileges`).
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec, bind_host
from ecomctl.infra.components._debian import DebianPackagedComponent, socket_dir
from ecomctl.infra.provision.privileges import (
    check_user_can_write,
    chown_for_user,
    wrap_for_user,
)

PACKAGES = ("postgresql",)
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
DEFAULT_IMAGE = "postgres:16"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_buffers": "128MB",  # laptop-sized
    "max_connections": "200",  # seven services with pools, plus migrations and tests
}
# Statement counts per database and statement (bench/saga_cost.py); a contrib module that
# Debian's server package and the postgres image ship. Loaded only when it is there.
STATEMENTS_MODULE = "pg_stat_statements"


def _debian_bin_dirs(root: Path | None = None) -> list[Path]:
    """/usr/lib/postgresql/<major>/bin, newest major first."""
    root = root or DEBIAN_ROOT
    if not root.is_dir():
        return []
    majors = [p for p in root.iterdir() if re.fullmatch(r"\d+", p.name)]
    return [p / "bin" for p in sorted(majors, key=lambda p: int(p.name), reverse=True)]


def _socket_dir(ctx: ComponentContext) -> Path:
    return socket_dir(ctx.run_dir, f".s.PGSQL.{ctx.port}")


def initdb_argv(initdb: Path, data_dir: Path, pwfile: Path) -> list[str]:
    return [
        str(initdb),
        f"--pgdata={data_dir}",
        f"--username={SUPERUSER}",
        f"--pwfile={pwfile}",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale",  # same sort order on every machine; no locale packages needed
    ]


def server_argv(postgres: Path, ctx: ComponentContext) -> list[str]:
    argv = [
        str(postgres),
        "-D",
        str(ctx.data_dir),
        "-p",
        str(ctx.port),
        "-k",
        str(_socket_dir(ctx)),
    ]
    for key, value in SERVER_SETTINGS.items():
        argv += ["-c", f"{key}={value}"]
    if ctx.container_name:  # other containers connect through the project's network
        argv += ["-c", f"listen_addresses={bind_host(ctx)}"]
    if has_statements_module(postgres):
        argv += ["-c", f"shared_preload_libraries={STATEMENTS_MODULE}"]
    return argv


def has_statements_module(postgres: Path) -> bool:
    """Whether the server's package library (`<prefix>/lib`, Debian's layout, found from
    the real binary behind a symlink on PATH) holds pg_stat_statements: preloading a
    module that is not there stops the server."""
    return (postgres.resolve().parent.parent / "lib" / f"{STATEMENTS_MODULE}.so").is_file()


class PostgresComponent(DebianPackagedComponent):
    name = "postgres"
    description = "PostgreSQL (orders, payments, events)"
    default_port = 5432
    ready_timeout_s = 60.0
    packages = PACKAGES
    system_services = ("postgresql",)
    server_names = ("postgres",)
    server_key = "postgres"

    def debian_dirs(self) -> Sequence[Path]:
        return _debian_bin_dirs()

    def more_paths(self, server: Path) -> dict[str, str] | None:
        """initdb of the same major version, beside the server."""
        initdb = server.parent / "initdb"
        return {"bin": str(server.parent), "initdb": str(initdb)} if initdb.is_file() else None

    def prepare(self, ctx: ComponentContext) -> None:
        sockets = _socket_dir(ctx)
        for directory in (ctx.data_dir, ctx.run_dir, sockets):
            directory.mkdir(parents=True, exist_ok=True)
        ctx.data_dir.chmod(0o700)  # the server refuses group/world-readable data
        chown_for_user(ctx.data_dir, SYSTEM_USER)
        chown_for_user(sockets, SYSTEM_USER)
        check_user_can_write(ctx.data_dir, SYSTEM_USER)
        if (ctx.data_dir / "PG_VERSION").exists():
            return
        if any(ctx.data_dir.iterdir()):
            raise ComponentFailed(
                self.name,
                f"{ctx.data_dir} is not empty but holds no PostgreSQL cluster",
                hint="move it away or run `ecomctl down --volumes`",
            )
        self._initdb(ctx)
        if ctx.container_name:
            # initdb trusts no address but loopback; containers come from the project network,
            # and still need the password.
            with (ctx.data_dir / "pg_hba.conf").open("a", encoding="utf-8") as hba:
                hba.write("host all all all scram-sha-256\n")

    def _initdb(self, ctx: ComponentContext) -> None:
        assert ctx.installation is not None
        pwfile = ctx.run_dir / "initdb.pw"
        pwfile.write_text(ctx.spec.password + "\n")
        pwfile.chmod(0o600)
        chown_for_user(pwfile, SYSTEM_USER)
        try:
            argv = initdb_argv(ctx.installation.path("initdb"), ctx.data_dir, pwfile)
            done = subprocess.run(
                wrap_for_user(argv, SYSTEM_USER),
                cwd=ctx.data_dir,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
            raise ComponentFailed(self.name, "initdb failed", log_tail=tail)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        assert ctx.installation is not None
        return ProcessSpec(
            argv=server_argv(ctx.installation.path("postgres"), ctx),
            cwd=ctx.data_dir,
            run_as=SYSTEM_USER,
            # SIGTERM is "smart" shutdown and waits for every client; SIGINT is "fast".
            stop_signal=int(signal.SIGINT),
            stop_timeout_s=30.0,
        )

    def check_ready(self, ctx: ComponentContext) -> None:
        user = SUPERUSER if ctx.installation is not None else ctx.spec.user
        try:
            with psycopg.connect(
                host=ctx.host,
                port=ctx.port,
                user=user,
                password=ctx.spec.password,
                dbname="postgres",
                connect_timeout=3,
            ) as conn:
                conn.execute("select 1").fetchone()
        except psycopg.OperationalError as exc:
            if ctx.installation is not None and "password authentication failed" in str(exc):
                # The server answered over TCP; the superuser's password predates a
                # change in the stack file, which after_ready fixes over the socket.
                self._socket_round_trip(ctx)
                return
            raise NotReady(str(exc).strip().splitlines()[-1]) from exc

    def _socket_round_trip(self, ctx: ComponentContext) -> None:
        try:
            with self._admin_connection(ctx) as conn:
                conn.execute("select 1").fetchone()
        except psycopg.OperationalError as exc:
            raise NotReady(str(exc).strip()) from exc

    def _admin_connection(self, ctx: ComponentContext) -> psycopg.Connection[Any]:
        """Superuser connection: the unix socket locally, the image's user in docker."""
        if ctx.installation is None:
            return psycopg.connect(
                host=ctx.host,
                port=ctx.port,
                user=ctx.spec.user,
                password=ctx.spec.password,
                dbname="postgres",
                autocommit=True,
                connect_timeout=5,
            )
        return psycopg.connect(
            host=str(_socket_dir(ctx)),
            port=ctx.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )

    def after_ready(self, ctx: ComponentContext) -> None:
        with self._admin_connection(ctx) as conn:
            ensure_role(conn, ctx.spec.user, ctx.spec.password)
            if ctx.installation is not None:
                set_password(conn, SUPERUSER, ctx.spec.password)
            for database in ctx.spec.databases:
                ensure_database(conn, database, owner=ctx.spec.user)
            ensure_statements_view(conn)

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        init_sql = ctx.run_dir / "postgres-init.sql"
        init_sql.parent.mkdir(parents=True, exist_ok=True)
        init_sql.write_text(compose_init_sql(ctx.spec.databases, ctx.spec.user))
        settings = [
            arg
            for key, value in SERVER_SETTINGS.items()
            if key != "listen_addresses"
            for arg in ("-c", f"{key}={value}")
        ]
        settings += ["-c", f"shared_preload_libraries={STATEMENTS_MODULE}"]  # in the image
        return {
            "image": ctx.spec.image or DEFAULT_IMAGE,
            "command": ["postgres", *settings],
            "environment": {
                "POSTGRES_USER": ctx.spec.user,
                "POSTGRES_PASSWORD": ctx.spec.password,
                "POSTGRES_DB": "postgres",
            },
            "ports": [f"127.0.0.1:{ctx.port}:5432"],
            "volumes": [
                f"{ctx.name}-data:/var/lib/postgresql/data",
                f"{init_sql}:/docker-entrypoint-initdb.d/10-databases.sql:ro",
            ],
            "healthcheck": {
                "test": ["CMD-SHELL", f"pg_isready -h 127.0.0.1 -U {ctx.spec.user} -d postgres"],
                "interval": "5s",
                "timeout": "5s",
                "retries": 30,
                "start_period": "10s",
            },
        }


def ensure_role(conn: psycopg.Connection[Any], user: str, password: str) -> None:
    """Create the login role, or bring its password in line with the stack file."""
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (user,)).fetchone()
    verb = "alter" if exists else "create"
    conn.execute(
        sql.SQL(verb + " role {} with login createdb password {}").format(
            sql.Identifier(user), sql.Literal(password)
        )
    )


def set_password(conn: psycopg.Connection[Any], user: str, password: str) -> None:
    conn.execute(
        sql.SQL("alter role {} with password {}").format(
            sql.Identifier(user), sql.Literal(password)
        )
    )


def ensure_database(conn: psycopg.Connection[Any], database: str, *, owner: str) -> None:
    exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
    if not exists:
        conn.execute(
            sql.SQL("create database {} owner {}").format(
                sql.Identifier(database), sql.Identifier(owner)
            )
        )


def ensure_statements_view(conn: psycopg.Connection[Any]) -> None:
    """The pg_stat_statements view in the `postgres` database (it reads every database's
    counters), when the server preloaded the module; creating it needs the superuser."""
    loaded = conn.execute("show shared_preload_libraries").fetchone()
    if loaded and STATEMENTS_MODULE in [m.strip() for m in str(loaded[0]).split(",")]:
        conn.execute(f"create extension if not exists {STATEMENTS_MODULE}")


def compose_init_sql(databases: list[str], owner: str) -> str:
    """Run once by the image's entrypoint on an empty volume (POSTGRES_DB makes only one)."""
    return "".join(f'CREATE DATABASE "{db}" OWNER "{owner}";\n' for db in databases)
