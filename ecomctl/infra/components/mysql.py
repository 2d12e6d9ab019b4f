"""The MySQL-compatible store: Debian's MariaDB 10.11 locally, mariadb or mysql images in docker.

The local server reads no option file (`--no-defaults`), so a system-wide
/etc/mysql configuration (its socket, port, datadir, bind address) can never
leak into the stack's instance. Its root account has no password and is
reachable only from this machine (the server binds 127.0.0.1, the socket sits
in the run directory). The stack's user gets every privilege on every
database, without GRANT OPTION: like the PostgreSQL role with CREATEDB, it
can create throwaway databases (migration tests, `ecomctl migrate` on a new
service), which a per-database grant would forbid. This is a development
stack bound to loopback; production grants belong to the Kubernetes rendering.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pymysql

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, NotReady, ProcessSpec, bind_host
from ecomctl.infra.components._debian import DebianPackagedComponent, find_binary, socket_dir

PACKAGES = ("mariadb-server", "mariadb-client")
DEBIAN_DIRS = (Path("/usr/sbin"), Path("/usr/bin"))
DEFAULT_IMAGE = "mariadb:10.11"
SOCKET = "mysqld.sock"
USER_HOSTS = ("%", "localhost", "127.0.0.1")
SERVER_SETTINGS = (
    "--innodb-buffer-pool-size=128M",  # laptop-sized
    "--max-connections=200",
    "--character-set-server=utf8mb4",  # MariaDB still defaults to latin1; MySQL 8 does not
    "--collation-server=utf8mb4_unicode_ci",
    # Statement counts per database (performance_schema's digest summary has the schema),
    # for bench/saga_cost.py: the services share this server and its one user. Statement
    # instruments only; waits, stages and the rest stay off (the costly ones).
    "--performance-schema=ON",
    "--performance-schema-instrument=%=OFF",
    "--performance-schema-instrument=statement/%=ON",
)


def _socket(ctx: ComponentContext) -> Path:
    return socket_dir(ctx.run_dir, SOCKET) / SOCKET


def _run_user_args() -> list[str]:
    """mariadbd refuses to run as root unless told to; other users need no flag."""
    return ["--user=root"] if os.geteuid() == 0 else []


def install_db_argv(install_db: Path, data_dir: Path) -> list[str]:
    return [
        str(install_db),
        "--no-defaults",  # must come first
        f"--datadir={data_dir}",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        *_run_user_args(),
    ]


def server_argv(mariadbd: Path, ctx: ComponentContext) -> list[str]:
    return [
        str(mariadbd),
        "--no-defaults",  # must come first
        f"--datadir={ctx.data_dir}",
        f"--port={ctx.port}",
        f"--bind-address={bind_host(ctx)}",
        f"--socket={_socket(ctx)}",
        f"--pid-file={ctx.run_dir / 'mysqld.pid'}",
        "--skip-name-resolve",
        *_run_user_args(),
        *SERVER_SETTINGS,
    ]


class MysqlComponent(DebianPackagedComponent):
    name = "mysql"
    description = "MySQL-compatible database (users, products, inventory)"
    default_port = 3306
    ready_timeout_s = 60.0
    packages = PACKAGES
    system_services = ("mariadb",)
    server_names = ("mariadbd", "mysqld")

    def debian_dirs(self) -> Sequence[Path]:
        return DEBIAN_DIRS

    def more_paths(self, server: Path) -> dict[str, str] | None:
        install_db = find_binary(["mariadb-install-db", "mysql_install_db"], self.debian_dirs())
        return None if install_db is None else {"install_db": str(install_db[0])}

    def prepare(self, ctx: ComponentContext) -> None:
        assert ctx.installation is not None
        for directory in (ctx.data_dir, ctx.run_dir, _socket(ctx).parent):
            directory.mkdir(parents=True, exist_ok=True)
        if (ctx.data_dir / "mysql").is_dir():
            return
        if any(ctx.data_dir.iterdir()):
            raise ComponentFailed(
                self.name,
                f"{ctx.data_dir} is not empty but holds no MariaDB data",
                hint="move it away or run `ecomctl down --volumes`",
            )
        argv = install_db_argv(ctx.installation.path("install_db"), ctx.data_dir)
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ctx.run_dir)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
            raise ComponentFailed(self.name, "mariadb-install-db failed", log_tail=tail)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        assert ctx.installation is not None
        return ProcessSpec(
            argv=server_argv(ctx.installation.path("server"), ctx),
            cwd=ctx.data_dir,
            stop_timeout_s=30.0,
        )

    def check_ready(self, ctx: ComponentContext) -> None:
        try:
            with self._admin_connection(ctx, tcp=True) as conn, conn.cursor() as cursor:
                cursor.execute("select 1")
        except pymysql.MySQLError as exc:
            raise NotReady(str(exc)) from exc

    def _admin_connection(
        self, ctx: ComponentContext, *, tcp: bool
    ) -> pymysql.connections.Connection:
        """root: passwordless locally (socket or loopback TCP); the image's root in docker."""
        options: dict[str, Any] = {"user": "root", "connect_timeout": 3, "autocommit": True}
        if ctx.installation is None:
            options["password"] = ctx.spec.password
        if tcp or ctx.installation is None:
            return pymysql.connect(host=ctx.host, port=ctx.port, **options)
        return pymysql.connect(unix_socket=str(_socket(ctx)), **options)

    def after_ready(self, ctx: ComponentContext) -> None:
        with self._admin_connection(ctx, tcp=False) as conn, conn.cursor() as cursor:
            for statement, args in grant_statements(
                ctx.spec.user, ctx.spec.password, ctx.spec.databases
            ):
                cursor.execute(statement, args)

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        image = ctx.spec.image or DEFAULT_IMAGE
        flavour = "MYSQL" if image.startswith("mysql") else "MARIADB"
        init_sql = ctx.run_dir / "mysql-init.sql"
        init_sql.parent.mkdir(parents=True, exist_ok=True)
        init_sql.write_text(compose_init_sql(ctx.spec.user, ctx.spec.databases))
        environment = {
            f"{flavour}_ROOT_PASSWORD": ctx.spec.password,
            f"{flavour}_USER": ctx.spec.user,
            f"{flavour}_PASSWORD": ctx.spec.password,
        }
        if flavour == "MYSQL":
            test = ["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", f"-p{ctx.spec.password}"]
        else:
            test = ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]
        return {
            "image": image,
            "command": [arg for arg in SERVER_SETTINGS if not arg.startswith("--innodb")],
            "environment": environment,
            "ports": [f"127.0.0.1:{ctx.port}:3306"],
            "volumes": [
                f"{ctx.name}-data:/var/lib/mysql",
                f"{init_sql}:/docker-entrypoint-initdb.d/10-databases.sql:ro",
            ],
            "healthcheck": {
                "test": test,
                "interval": "5s",
                "timeout": "5s",
                "retries": 30,
                "start_period": "20s",
            },
        }


def grant_statements(
    user: str, password: str, databases: list[str]
) -> list[tuple[str, tuple[str, ...]]]:
    """Idempotent statements: the user on every host form, the databases, the grants.

    Values travel as parameters; database names are validated identifiers
    (stack model) and quoted with backticks.
    """
    statements: list[tuple[str, tuple[str, ...]]] = []
    for host in USER_HOSTS:
        statements.append(
            ("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (user, host, password))
        )
        statements.append(("ALTER USER %s@%s IDENTIFIED BY %s", (user, host, password)))
        statements.append(("GRANT ALL PRIVILEGES ON *.* TO %s@%s", (user, host)))
    for database in databases:
        statements.append((f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4", ()))
    return statements


def compose_init_sql(user: str, databases: list[str]) -> str:
    """Run once by the image's entrypoint, after it created the user from the environment."""
    lines = [f"CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4;" for db in databases]
    lines.append(f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%';")
    return "\n".join(lines) + "\n"
