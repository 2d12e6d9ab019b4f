"""Fixtures for the migrate integration tests.

`any_db`, `pg_db` and `my_db` (bottom) stay: each gives a test its own random
database. The server fixtures are TEMPORARY:
The lead's tests/integration/conftest.py will provide `postgres_url` and
`mysql_url` for the whole suite; until then these start throwaway servers
(PostgreSQL on 35432, MariaDB on 33306) under /tmp, or reuse ones already
listening there. The URLs point at the server with an admin user; each test
creates its own randomly named database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from migrate_support import new_database

from ecomctl.migrate import DatabaseUrl

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = int(os.environ.get("ECOMCTL_TEST_PG_PORT", "35432"))
MY_PORT = int(os.environ.get("ECOMCTL_TEST_MY_PORT", "33306"))


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        if _listening(port):
            time.sleep(0.3)
            return
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} not ready: {log.read_text(errors='replace')[-2000:]}")


def _start_postgres(base: Path) -> subprocess.Popen[bytes]:
    data = base / "pgdata"
    base.mkdir(parents=True, exist_ok=True)
    shutil.chown(base, "postgres", "postgres")
    run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    log = base / "pg.log"
    log.touch()
    shutil.chown(log, "postgres", "postgres")
    proc = subprocess.Popen(
        [
            *run_as,
            str(PG_BIN / "postgres"),
            "-D",
            str(data),
            "-p",
            str(PG_PORT),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={base}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    _wait(PG_PORT, proc, log)
    return proc


def _start_mariadb(base: Path) -> subprocess.Popen[bytes]:
    data = base / "mydata"
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    log = base / "my.log"
    proc = subprocess.Popen(
        [
            "mariadbd",
            "--no-defaults",
            "--user=root",
            f"--datadir={data}",
            f"--port={MY_PORT}",
            "--bind-address=127.0.0.1",
            f"--socket={base}/my.sock",
            "--innodb-flush-log-at-trx-commit=0",
            "--skip-log-bin",
            "--max-connections=300",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    _wait(MY_PORT, proc, log)
    return proc


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    proc = None
    if not _listening(PG_PORT):
        proc = _start_postgres(Path(tempfile.mkdtemp(prefix="ecomctl-migrate-pg-")))
    yield f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres"
    if proc is not None:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    proc = None
    if not _listening(MY_PORT):
        proc = _start_mariadb(Path(tempfile.mkdtemp(prefix="ecomctl-migrate-my-")))
    yield f"mysql://root@127.0.0.1:{MY_PORT}/mysql"
    if proc is not None:
        proc.terminate()
        proc.wait(30)


# ---- per-test databases (keep when the server fixtures move) --------------------------------
@pytest.fixture(params=["postgresql", "mysql"])
def any_db(request: pytest.FixtureRequest) -> Iterator[DatabaseUrl]:
    fixture = "postgres_url" if request.param == "postgresql" else "mysql_url"
    yield new_database(request.getfixturevalue(fixture))


@pytest.fixture
def pg_db(postgres_url: str) -> DatabaseUrl:
    return new_database(postgres_url)


@pytest.fixture
def my_db(mysql_url: str) -> DatabaseUrl:
    return new_database(mysql_url)


if __name__ == "__main__":  # start both servers for development: python conftest.py
    pg = _start_postgres(Path(tempfile.mkdtemp(prefix="ecomctl-migrate-pg-")))
    my = _start_mariadb(Path(tempfile.mkdtemp(prefix="ecomctl-migrate-my-")))
    print(f"postgres pid {pg.pid}, mariadb pid {my.pid}", flush=True)
    pg.wait()
