"""Argv, config and provisioning logic of the Debian-packaged components (no servers)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, Installation
from ecomctl.infra.components import _debian, mysql, postgres, prometheus, redis
from ecomctl.infra.provision import apt, privileges
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import Stack

OFFSET = 1000


@pytest.fixture
def stack() -> Stack:
    base = load_stack()
    services = {
        name: svc.model_copy(update={"enabled": name in {"order", "gateway"}})
        for name, svc in base.services.items()
    }
    return base.model_copy(update={"services": services})


def make_ctx(stack: Stack, name: str, tmp_path: Path, **paths: str) -> ComponentContext:
    spec = stack.infra[name]
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port + OFFSET,
        ports={},
        host="127.0.0.1",
        data_dir=tmp_path / "data" / name,
        run_dir=tmp_path / "run" / name,
        log_file=tmp_path / "logs" / f"{name}.log",
        installation=Installation(name, "1.0", "apt", paths) if paths else None,
    )


# ---- privileges --------------------------------------------------------------------------


def test_setpriv_argv_passes_read_search_as_ambient_capability() -> None:
    argv = privileges.setpriv_argv(
        ["postgres", "-D", "/d"], "postgres", read_search=True, setpriv="sp"
    )
    assert argv[:4] == ["sp", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    assert "--ambient-caps=+dac_read_search" in argv and "--inh-caps=+dac_read_search" in argv
    assert argv[argv.index("--") + 1 :] == ["postgres", "-D", "/d"]


def test_setpriv_argv_without_capability() -> None:
    argv = privileges.setpriv_argv(["x"], "postgres", read_search=False, setpriv="sp")
    assert not any("caps" in arg for arg in argv)


def test_no_switch_when_not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert privileges.wrap_for_user(["postgres"], "postgres") == ["postgres"]
    privileges.chown_for_user("/nonexistent", "postgres")  # no-op, no error


def test_switch_to_unknown_user_is_a_readable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(ComponentFailed, match="does not exist"):
        privileges.wrap_for_user(["x"], "no-such-user-ecomctl")


@pytest.mark.parametrize(
    ("bounding", "expected"), [("000001ffffffffff", True), ("00000000a80425fb", False)]
)
def test_read_search_follows_the_bounding_set(
    tmp_path: Path, bounding: str, expected: bool
) -> None:
    status = tmp_path / "status"
    status.write_text(f"Name:\tx\nCapBnd:\t{bounding}\n")
    assert privileges.can_grant_read_search(status) is expected


# ---- apt ---------------------------------------------------------------------------------


def test_install_needs_root_and_hints_the_sudo_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ComponentFailed) as caught:
        apt.install_packages("redis", ["redis-server"], lambda _: None)
    assert caught.value.hint == (
        "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y --no-install-recommends redis-server"
    )


def test_install_updates_once_and_stops_only_services_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[list[str]] = []
    stopped: list[str] = []
    running = {"redis-server"}  # already running before: not ours
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(apt, "_updated", False)
    monkeypatch.setattr(apt, "_run", lambda component, argv: ran.append(argv))
    monkeypatch.setattr(apt, "no_daemon_starts", contextlib.nullcontext)
    monkeypatch.setattr(apt, "service_running", lambda s: s in running)
    monkeypatch.setattr(apt, "stop_service", stopped.append)

    apt.install_packages(
        "mysql", ["mariadb-server"], lambda _: None, services=["mariadb", "redis-server"]
    )
    apt.install_packages("redis", ["redis-server"], lambda _: None)
    assert [argv[1] for argv in ran] == ["update", "install", "install"]
    assert ran[1][-1] == "mariadb-server" and "--no-install-recommends" in ran[1]
    assert stopped == []  # redis-server ran before the install: not ours to stop


def test_install_stops_a_daemon_the_package_started(monkeypatch: pytest.MonkeyPatch) -> None:
    started: set[str] = set()
    stopped: list[str] = []
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(apt, "_updated", True)
    monkeypatch.setattr(apt, "_run", lambda component, argv: started.add("postgresql"))
    monkeypatch.setattr(apt, "no_daemon_starts", contextlib.nullcontext)
    monkeypatch.setattr(apt, "service_running", lambda s: s in started)
    monkeypatch.setattr(apt, "stop_service", stopped.append)
    apt.install_packages("postgres", ["postgresql"], lambda _: None, services=["postgresql"])
    assert stopped == ["postgresql"]


def test_policy_file_is_temporary_and_an_existing_one_is_kept(tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    with apt.no_daemon_starts(policy):
        assert "exit 101" in policy.read_text()
    assert not policy.exists()
    policy.write_text("mine")
    with apt.no_daemon_starts(policy):
        pass
    assert policy.read_text() == "mine"


# ---- binaries ----------------------------------------------------------------------------


def test_find_binary_falls_back_to_debian_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    (tmp_path / "sbin").mkdir()
    (tmp_path / "sbin" / "mysqld").write_text("")
    assert _debian.find_binary(["mariadbd", "mysqld"], [tmp_path / "sbin"]) == (
        tmp_path / "sbin" / "mysqld",
        "apt",
    )
    assert _debian.find_binary(["nothing"], [tmp_path / "sbin"]) is None


def test_binary_version_ignores_digits_in_the_path(tmp_path: Path) -> None:
    fake = tmp_path / "v9.9" / "mariadbd"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "{fake}  Ver 10.11.19-MariaDB for debian"\n')
    fake.chmod(0o755)
    assert _debian.binary_version(fake) == "10.11.19"
    assert _debian.binary_version(tmp_path / "missing") is None


def test_long_socket_paths_move_to_a_short_directory(tmp_path: Path) -> None:
    long_dir = tmp_path / ("x" * 120)
    assert _debian.socket_dir(Path("/w/run"), "s.sock") == Path("/w/run")
    short = _debian.socket_dir(long_dir, "s.sock")
    assert len(str(short / "s.sock")) < 100 and short == _debian.socket_dir(long_dir, "s.sock")


def test_postgres_debian_dirs_newest_first(tmp_path: Path) -> None:
    for major in ("9", "15", "13", "common"):
        (tmp_path / major).mkdir()
    assert postgres._debian_bin_dirs(tmp_path) == [tmp_path / m / "bin" for m in ("15", "13", "9")]


# ---- postgres ----------------------------------------------------------------------------


def test_postgres_process(stack: Stack, tmp_path: Path) -> None:
    ctx = make_ctx(stack, "postgres", tmp_path, postgres="/pg/postgres", initdb="/pg/initdb")
    spec = postgres.PostgresComponent().process(ctx)
    assert spec.argv[:7] == [
        "/pg/postgres",
        "-D",
        str(ctx.data_dir),
        "-p",
        "6432",
        "-k",
        str(ctx.run_dir),
    ]
    settings = {spec.argv[i + 1] for i, arg in enumerate(spec.argv) if arg == "-c"}
    assert settings == {"listen_addresses=127.0.0.1", "shared_buffers=128MB", "max_connections=200"}
    assert spec.run_as == "postgres" and spec.stop_signal == 2


def test_postgres_preloads_pg_stat_statements_when_the_package_has_it(
    stack: Stack, tmp_path: Path
) -> None:
    (tmp_path / "15" / "bin").mkdir(parents=True)
    (tmp_path / "15" / "lib").mkdir()
    real = tmp_path / "15" / "bin" / "postgres"
    real.write_text("")
    on_path = tmp_path / "postgres"  # a symlink on PATH, as /usr/local/bin/postgres
    on_path.symlink_to(real)
    ctx = make_ctx(stack, "postgres", tmp_path, postgres=str(on_path), initdb="/pg/initdb")
    assert "shared_preload_libraries=pg_stat_statements" not in postgres.server_argv(on_path, ctx)
    (tmp_path / "15" / "lib" / "pg_stat_statements.so").write_text("")
    argv = postgres.server_argv(on_path, ctx)
    assert argv[-2:] == ["-c", "shared_preload_libraries=pg_stat_statements"]
    service = postgres.PostgresComponent().compose_service(make_ctx(stack, "postgres", tmp_path))
    assert "shared_preload_libraries=pg_stat_statements" in service["command"]


def test_initdb_trusts_the_socket_and_wants_passwords_over_tcp() -> None:
    argv = postgres.initdb_argv(Path("/pg/initdb"), Path("/d"), Path("/r/pw"))
    assert {"--auth-local=trust", "--auth-host=scram-sha-256", "--username=postgres"} <= set(argv)
    assert "--pwfile=/r/pw" in argv


def test_postgres_compose_service(stack: Stack, tmp_path: Path) -> None:
    ctx = make_ctx(stack, "postgres", tmp_path)
    service = postgres.PostgresComponent().compose_service(ctx)
    assert service["image"] == "postgres:16"
    assert service["ports"] == ["127.0.0.1:6432:5432"]
    assert service["environment"]["POSTGRES_USER"] == "ecomctl"
    assert "pg_isready" in service["healthcheck"]["test"][1]
    init = (ctx.run_dir / "postgres-init.sql").read_text()
    assert init.count("CREATE DATABASE") == 4 and '"orders" OWNER "ecomctl"' in init
    assert any(
        v.endswith("/docker-entrypoint-initdb.d/10-databases.sql:ro") for v in service["volumes"]
    )


# ---- mysql -------------------------------------------------------------------------------


def test_mariadb_reads_no_option_files_and_binds_loopback(stack: Stack, tmp_path: Path) -> None:
    ctx = make_ctx(stack, "mysql", tmp_path, server="/usr/sbin/mariadbd", install_db="/usr/bin/i")
    argv = mysql.MysqlComponent().process(ctx).argv
    assert argv[:2] == ["/usr/sbin/mariadbd", "--no-defaults"]
    assert {"--port=4306", "--bind-address=127.0.0.1", "--skip-name-resolve"} <= set(argv)
    assert f"--socket={ctx.run_dir / 'mysqld.sock'}" in argv
    assert "--innodb-buffer-pool-size=128M" in argv
    # statement digests by schema (bench/saga_cost.py), statement instruments only
    assert "--performance-schema=ON" in argv
    assert argv.index("--performance-schema-instrument=%=OFF") < argv.index(
        "--performance-schema-instrument=statement/%=ON"
    )


@pytest.mark.parametrize(("euid", "user_args"), [(0, ["--user=root"]), (1000, [])])
def test_mariadb_user_flag_only_as_root(
    monkeypatch: pytest.MonkeyPatch, euid: int, user_args: list[str]
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    argv = mysql.install_db_argv(Path("/i"), Path("/d"))
    assert argv[1] == "--no-defaults" and "--skip-test-db" in argv
    assert [a for a in argv if a.startswith("--user")] == user_args


def test_mysql_grants_are_parameterised_and_idempotent() -> None:
    statements = mysql.grant_statements("app", "s3cret", ["users", "products"])
    creates = [args for sql, args in statements if sql.startswith("CREATE USER IF NOT EXISTS")]
    assert [args[1] for args in creates] == ["%", "localhost", "127.0.0.1"]
    assert all("s3cret" not in sql for sql, _ in statements)
    assert ("CREATE DATABASE IF NOT EXISTS `users` CHARACTER SET utf8mb4", ()) in statements
    grants = [sql for sql, _ in statements if sql.startswith("GRANT")]
    assert grants == ["GRANT ALL PRIVILEGES ON *.* TO %s@%s"] * 3  # no GRANT OPTION


@pytest.mark.parametrize(
    ("image", "prefix", "probe"),
    [("mariadb:10.11", "MARIADB", "healthcheck.sh"), ("mysql:8", "MYSQL", "mysqladmin")],
)
def test_mysql_compose_service(
    stack: Stack, tmp_path: Path, image: str, prefix: str, probe: str
) -> None:
    ctx = make_ctx(stack, "mysql", tmp_path)
    ctx = ComponentContext(**{**ctx.__dict__, "spec": ctx.spec.model_copy(update={"image": image})})
    service = mysql.MysqlComponent().compose_service(ctx)
    assert service["image"] == image
    assert service["environment"][f"{prefix}_USER"] == "ecomctl"
    assert service["healthcheck"]["test"][1] == probe
    assert service["ports"] == ["127.0.0.1:4306:3306"]
    assert (
        "CREATE DATABASE IF NOT EXISTS `inventory` CHARACTER SET utf8mb4;"
        in (ctx.run_dir / "mysql-init.sql").read_text()
    )


# ---- redis -------------------------------------------------------------------------------


def test_redis_argv_is_aof_only_on_loopback(stack: Stack, tmp_path: Path) -> None:
    ctx = make_ctx(stack, "redis", tmp_path, server="/usr/bin/redis-server")
    argv = redis.RedisComponent().process(ctx).argv
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert pairs == {
        "--bind": "127.0.0.1",
        "--port": "7379",
        "--dir": str(ctx.data_dir),
        "--appendonly": "yes",
        "--save": "",
        "--daemonize": "no",
        "--protected-mode": "yes",
    }


def test_redis_compose_service(stack: Stack, tmp_path: Path) -> None:
    service = redis.RedisComponent().compose_service(make_ctx(stack, "redis", tmp_path))
    assert service["image"] == "redis:7"
    assert service["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert service["volumes"] == ["redis-data:/data"]


# ---- prometheus --------------------------------------------------------------------------


def test_prometheus_scrapes_itself_and_enabled_services_with_offset(
    stack: Stack, tmp_path: Path
) -> None:
    ctx = make_ctx(stack, "prometheus", tmp_path, server="/usr/bin/prometheus")
    component = prometheus.PrometheusComponent()
    component.prepare(ctx)
    config = yaml.safe_load((ctx.run_dir / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets == {
        "prometheus": ["127.0.0.1:10090"],
        "gateway": ["127.0.0.1:9080"],
        "order": ["127.0.0.1:9083"],
    }
    argv = component.process(ctx).argv
    assert "--web.listen-address=127.0.0.1:10090" in argv
    assert f"--storage.tsdb.path={ctx.data_dir}" in argv


def test_prometheus_compose_targets_services_by_name(stack: Stack, tmp_path: Path) -> None:
    ctx = make_ctx(stack, "prometheus", tmp_path)
    service = prometheus.PrometheusComponent().compose_service(ctx)
    config = yaml.safe_load((ctx.run_dir / "prometheus-docker.yml").read_text())
    targets = [job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]]
    assert targets == ["localhost:9090", "gateway:8080", "order:8083"]
    assert service["ports"] == ["127.0.0.1:10090:9090"]
    assert "/-/ready" in service["healthcheck"]["test"][-1]


def test_components_report_none_when_binaries_are_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(redis, "DEBIAN_DIRS", (tmp_path,))
    monkeypatch.setattr(prometheus, "DEBIAN_DIRS", (tmp_path,))
    monkeypatch.setattr(mysql, "DEBIAN_DIRS", (tmp_path,))
    monkeypatch.setattr(postgres, "DEBIAN_ROOT", tmp_path)
    for component in (
        redis.RedisComponent(),
        prometheus.PrometheusComponent(),
        mysql.MysqlComponent(),
    ):
        assert component.locate(tmp_path) is None
    assert postgres.PostgresComponent().locate(tmp_path) is None
