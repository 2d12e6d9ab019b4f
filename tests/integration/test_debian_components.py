"""The Debian-packaged components against their real servers.

Each test drives one component the way the local runtime does (locate,
prepare, process, readiness, after_ready) and starts the server itself, on a
free port. Data directories live both under /root (mode 700: the postgres user
cannot traverse it without the ambient capability) and under pytest's /tmp
directory, to prove that dropping root works wherever a workspace is.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pymysql
import pytest
import redis

from ecomctl.infra.component import ComponentContext, InfraComponent, NotReady
from ecomctl.infra.provision.privileges import wrap_for_user
from ecomctl.infra.registry import get_component
from ecomctl.stack.loader import load_stack

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(params=["tmp", "root-home"])
def base_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A workspace-like directory: pytest's tmp dir, or one under /root (mode 700)."""
    if request.param == "tmp":
        yield tmp_path
        return
    home = Path("/root")
    if os.geteuid() != 0 or not os.access(home, os.W_OK):
        pytest.skip("needs root to place a workspace under /root")
    path = Path(tempfile.mkdtemp(prefix="tmp-ecomctl-it-", dir=home))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def context(name: str, base: Path) -> tuple[InfraComponent, ComponentContext]:
    component = get_component(name)
    installation = component.locate(base / "cache")
    if installation is None:
        pytest.skip(f"{name} is not installed: {component.install_hint()}")
    spec = load_stack().infra[name]
    return component, ComponentContext(
        name=name,
        spec=spec,
        stack=load_stack(),
        port=free_port(),
        ports={},
        host="127.0.0.1",
        data_dir=base / "data" / name,
        run_dir=base / "run" / name,
        log_file=base / "logs" / f"{name}.log",
        installation=installation,
    )


@contextmanager
def running(component: InfraComponent, ctx: ComponentContext) -> Iterator[ComponentContext]:
    """Prepare, start, wait for readiness and set up; always stop the process we started."""
    for directory in (ctx.data_dir, ctx.run_dir, ctx.log_file.parent):
        directory.mkdir(parents=True, exist_ok=True)
    component.prepare(ctx)
    spec = component.process(ctx)
    argv = wrap_for_user(spec.argv, spec.run_as) if spec.run_as else spec.argv
    with ctx.log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=spec.cwd,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
    try:
        wait_ready(component, ctx, proc)
        component.after_ready(ctx)
        yield ctx
    finally:
        stop(proc, spec.stop_signal, spec.stop_timeout_s)


def wait_ready(
    component: InfraComponent, ctx: ComponentContext, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + component.ready_timeout_s
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{ctx.name} exited {proc.returncode}:\n{log_tail(ctx)}")
        try:
            component.check_ready(ctx)
            return
        except NotReady as exc:
            last = str(exc)
        time.sleep(0.2)
    pytest.fail(f"{ctx.name} not ready ({last}):\n{log_tail(ctx)}")


def log_tail(ctx: ComponentContext) -> str:
    return "\n".join(ctx.log_file.read_text(errors="replace").splitlines()[-30:])


def stop(proc: subprocess.Popen[bytes], stop_signal: int, timeout_s: float) -> None:
    """Stop our child; its session (our pid as group id) holds only what it forked."""
    if proc.poll() is None:
        proc.send_signal(stop_signal)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---- PostgreSQL ---------------------------------------------------------------------------


def test_postgres_serves_the_stack_user_its_databases_across_restarts(base_dir: Path) -> None:
    component, ctx = context("postgres", base_dir)
    url = f"postgresql://{ctx.spec.user}:{ctx.spec.password}@{ctx.host}:{ctx.port}"
    with running(component, ctx):
        component.after_ready(ctx)  # idempotent
        with psycopg.connect(f"{url}/orders") as conn:
            conn.execute("create table items (id int primary key, name text)")
            conn.execute("insert into items values (%s, %s)", (1, "kettle"))
            owner = conn.execute(
                "select pg_get_userbyid(datdba) from pg_database where datname = 'orders'"
            ).fetchone()
        assert owner == (ctx.spec.user,)
        scratch = f"scratch_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
            conn.execute(f"create database {scratch}")  # tests make throwaway databases
    if os.geteuid() == 0:
        assert ctx.data_dir.stat().st_uid == pwd.getpwnam("postgres").pw_uid
    with running(component, ctx), psycopg.connect(f"{url}/orders") as conn:
        assert conn.execute("select name from items").fetchall() == [("kettle",)]


def test_postgres_takes_a_changed_password_from_the_stack(tmp_path: Path) -> None:
    component, ctx = context("postgres", tmp_path)
    with running(component, ctx):
        pass
    changed = replace(ctx, spec=ctx.spec.model_copy(update={"password": "changed-pw"}))
    with (
        running(component, changed),
        psycopg.connect(
            host=ctx.host,
            port=ctx.port,
            user=ctx.spec.user,
            password="changed-pw",
            dbname="payments",
        ) as conn,
    ):
        assert conn.execute("select 1").fetchone() == (1,)


# ---- MariaDB ------------------------------------------------------------------------------


def test_mariadb_serves_the_stack_user_its_databases(base_dir: Path) -> None:
    component, ctx = context("mysql", base_dir)
    with running(component, ctx):
        component.after_ready(ctx)  # idempotent
        conn = pymysql.connect(
            host=ctx.host,
            port=ctx.port,
            user=ctx.spec.user,
            password=ctx.spec.password,
            database="inventory",
            autocommit=True,
        )
        with conn, conn.cursor() as cursor:
            cursor.execute("create table stock (sku varchar(20) primary key, qty int)")
            cursor.execute("insert into stock values (%s, %s)", ("kettle-1", 7))
            cursor.execute("select qty, @@character_set_server from stock")
            assert cursor.fetchall() == ((7, "utf8mb4"),)
            scratch = f"scratch_{uuid.uuid4().hex[:8]}"
            cursor.execute(f"create database {scratch}")  # tests make throwaway databases
            cursor.execute(f"drop database {scratch}")
    with running(component, ctx):  # prepare keeps the initialised data
        conn = pymysql.connect(
            host=ctx.host, port=ctx.port, user=ctx.spec.user, password=ctx.spec.password
        )
        with conn, conn.cursor() as cursor:
            cursor.execute("select qty from inventory.stock")
            assert cursor.fetchall() == ((7,),)


# ---- Redis --------------------------------------------------------------------------------


def test_redis_keeps_keys_in_its_append_only_file(tmp_path: Path) -> None:
    component, ctx = context("redis", tmp_path)
    with running(component, ctx):
        client = redis.Redis(host=ctx.host, port=ctx.port)
        client.set("session:42", "alice")
        assert client.get("session:42") == b"alice"
        client.close()
    with running(component, ctx):
        client = redis.Redis(host=ctx.host, port=ctx.port)
        assert client.get("session:42") == b"alice"
        client.close()


# ---- Prometheus ---------------------------------------------------------------------------


def test_prometheus_scrapes_itself(tmp_path: Path) -> None:
    component, ctx = context("prometheus", tmp_path)
    with running(component, ctx), httpx.Client(base_url=f"http://{ctx.host}:{ctx.port}") as client:
        deadline = time.monotonic() + 60
        result: list[dict[str, object]] = []
        while not result and time.monotonic() < deadline:
            answer = client.get("/api/v1/query", params={"query": 'up{job="prometheus"}'}).json()
            assert answer["status"] == "success"
            result = answer["data"]["result"]
            time.sleep(0.5)
        assert result and result[0]["value"][1] == "1"  # type: ignore[index]
