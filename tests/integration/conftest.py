"""The real platform for integration tests, brought up once per session by `ecomctl up` itself.

Ports are shifted by ECOMCTL_TEST_PORT_OFFSET (default 20000) so a developer's
own stack on the default ports keeps running while the tests do. While working on one
part, ECOMCTL_TEST_WORKSPACE=DIR runs the tests against the stack already running in DIR
instead (no `up`, no `down`; tests that restart or stop components will do so there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

OFFSET = int(os.environ.get("ECOMCTL_TEST_PORT_OFFSET", "20000"))
RUNNING_WORKSPACE = os.environ.get("ECOMCTL_TEST_WORKSPACE", "")
UP_TIMEOUT_S = 900


def run_ecomctl(
    *args: str, timeout: float = 300, check: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    result = subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"ecomctl {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class Platform:
    workspace: Path
    offset: int
    components: dict[str, dict[str, Any]]

    def port(self, name: str, key: str | None = None) -> int:
        component = self.components[name]
        return int(component["ports"][key] if key else component["port"])

    def ecomctl(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run_ecomctl("--workspace", str(self.workspace), *args, timeout=timeout)


def running_platform(workspace: Path) -> Platform:
    """The stack already running in `workspace` (see ECOMCTL_TEST_WORKSPACE)."""
    # `status` exits 1 while a component is stopped, and still lists them all with their
    # ports: a stack of PostgreSQL alone serves the tests that need nothing else.
    result = run_ecomctl("--workspace", str(workspace), "status", "--json")
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise AssertionError(f"ecomctl status exited {result.returncode}:\n{result.stderr}")
    payload = json.loads(result.stdout)
    components = {c["name"]: c for c in payload["components"]}
    offset = components["kafka"]["port"] - 9092
    return Platform(workspace=workspace, offset=offset, components=components)


def session_platform(workspace: Path, offset: int) -> Iterator[Platform]:
    """`ecomctl up` of the default stack in `workspace` at `offset`, `down` afterwards;
    or the stack running in ECOMCTL_TEST_WORKSPACE. Also used by tests/security."""
    if RUNNING_WORKSPACE:
        yield running_platform(Path(RUNNING_WORKSPACE))
        return
    result = run_ecomctl(
        "--workspace",
        str(workspace),
        "up",
        "--runtime",
        "local",
        "--yes",
        "--json",
        "--port-offset",
        str(offset),
        timeout=UP_TIMEOUT_S,
    )
    if result.returncode != 0:
        run_ecomctl("--workspace", str(workspace), "down")
        pytest.fail(f"ecomctl up failed ({result.returncode}):\n{result.stderr[-4000:]}")
    payload = json.loads(result.stdout)
    components = {c["name"]: c for c in payload["components"]}
    yield Platform(workspace=workspace, offset=offset, components=components)
    run_ecomctl("--workspace", str(workspace), "down", "--volumes", check=True)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from session_platform(tmp_path_factory.mktemp("platform"), OFFSET)


@pytest.fixture(scope="session")
def postgres_url(platform: Platform) -> str:
    """An account that may create databases; tests create randomly named ones."""
    return f"postgresql://ecomctl:ecomctl@127.0.0.1:{platform.port('postgres')}/postgres"


@pytest.fixture(scope="session")
def mysql_url(platform: Platform) -> str:
    return f"mysql://ecomctl:ecomctl@127.0.0.1:{platform.port('mysql')}/mysql"


@pytest.fixture(scope="session")
def kafka_bootstrap(platform: Platform) -> str:
    return f"127.0.0.1:{platform.port('kafka')}"


@pytest.fixture(scope="session")
def mongo_url(platform: Platform) -> str:
    return f"mongodb://127.0.0.1:{platform.port('mongo')}/"


@pytest.fixture(scope="session")
def redis_url(platform: Platform) -> str:
    return f"redis://127.0.0.1:{platform.port('redis')}/0"


# ---- an infrastructure-only platform ----------------------------------------------------
# Tests that run their OWN copy of a saga service must not share Kafka topics with the
# platform's copies, which would react to the test's events too. They use this stack
# instead: the same infrastructure, no services, at another offset.
ISOLATED_OFFSET = OFFSET + 3000
ISOLATED_INFRA = "kafka,postgres,mysql,mongo,redis,stripe,smtp"


@pytest.fixture(scope="session")
def infra_only_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from own_platform(tmp_path_factory.mktemp("infra-only"), ISOLATED_INFRA, ISOLATED_OFFSET)


def own_platform(workspace: Path, only: str, offset: int) -> Iterator[Platform]:
    """`ecomctl up --only <only>` in a workspace of its own at `offset`; down with its data
    afterwards."""
    result = run_ecomctl(
        "--workspace", str(workspace), "up", "--runtime", "local", "--yes", "--json",
        "--only", only, "--port-offset", str(offset), timeout=UP_TIMEOUT_S,
    )  # fmt: skip
    if result.returncode != 0:
        run_ecomctl("--workspace", str(workspace), "down")
        failed = f"ecomctl up --only {only} failed ({result.returncode})"
        pytest.fail(f"{failed}:\n{result.stderr[-4000:]}")
    components = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    yield Platform(workspace=workspace, offset=offset, components=components)
    run_ecomctl("--workspace", str(workspace), "down", "--volumes", check=True)


def use_infra_only_platform() -> tuple[object, ...]:
    """Fixtures a test module assigns to itself to run on the infrastructure-only stack:

    platform, postgres_url, mysql_url, kafka_bootstrap, mongo_url, redis_url = (
        use_infra_only_platform()
    )
    """

    @pytest.fixture(name="platform", scope="session")
    def isolated(infra_only_platform: Platform) -> Platform:
        return infra_only_platform

    @pytest.fixture(name="postgres_url", scope="session")
    def isolated_postgres(infra_only_platform: Platform) -> str:
        return f"postgresql://ecomctl:ecomctl@127.0.0.1:{infra_only_platform.port('postgres')}/postgres"

    @pytest.fixture(name="mysql_url", scope="session")
    def isolated_mysql(infra_only_platform: Platform) -> str:
        return f"mysql://ecomctl:ecomctl@127.0.0.1:{infra_only_platform.port('mysql')}/mysql"

    @pytest.fixture(name="kafka_bootstrap", scope="session")
    def isolated_kafka(infra_only_platform: Platform) -> str:
        return f"127.0.0.1:{infra_only_platform.port('kafka')}"

    @pytest.fixture(name="mongo_url", scope="session")
    def isolated_mongo(infra_only_platform: Platform) -> str:
        return f"mongodb://127.0.0.1:{infra_only_platform.port('mongo')}/"

    @pytest.fixture(name="redis_url", scope="session")
    def isolated_redis(infra_only_platform: Platform) -> str:
        return f"redis://127.0.0.1:{infra_only_platform.port('redis')}/0"

    return (
        isolated,
        isolated_postgres,
        isolated_mysql,
        isolated_kafka,
        isolated_mongo,
        isolated_redis,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


# ---- a saga stack for releases ----------------------------------------------------------
# Defined here, not in saga_stack.py, so every module shares the one instance (a fixture
# imported into two modules is two fixtures, and two stacks on one port offset).
@pytest.fixture(scope="session")
def release_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A saga stack of its own for releases: a promotion moves a service to a new port,
    which tests holding the ports they saw at `up` must not see."""
    from tests.integration.saga_stack import RELEASE_OFFSET, own_workspace

    yield from own_workspace(
        tmp_path_factory.mktemp("release-ws"), RELEASE_OFFSET, extra=("zipkin",)
    )
