"""The docker runtime for real: the whole default stack in containers, then the faults.

The full stack runs twice on the images `ecomctl images build` made (`--images local`; a
warm run rebuilds none): once through `ecomctl up --runtime docker` and once from the
rendered compose file with `docker compose` alone. Each time `order-happy-path` passes
through the gateway and the project leaves no container, network or volume behind.
The faults (a host port taken, a container exiting at start, no daemon, an official
image missing) each give one readable line and a non-zero exit, and `down` still
cleans up. Ports: ECOMCTL_TEST_PORT_OFFSET + ECOMCTL_TEST_DOCKER_SHIFT (1600 by default,
clear of the other test stacks' shifts for every port of the default stack).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest

from ecomctl.runtime.docker.compose import project_name
from ecomctl.runtime.docker.engine import PROJECT_LABEL, docker_engine_available
from ecomctl.stack.loader import load_stack
from ecomctl.workspace import Workspace
from tests.integration.conftest import OFFSET

ENGINE_ANSWERS = docker_engine_available(5.0)
DOCKER_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_DOCKER_SHIFT", "1600"))
# Generous: two cores shared with other work, and a cold run builds the kit layer and nine
# thin service images inside `up` (images are reused while their content hashes hold, by
# every workspace); nothing here asserts a duration.
STACK_UP_TIMEOUT_S = 3600
WAIT_TIMEOUT_S = 1200

pytestmark = [
    pytest.mark.integration,
    pytest.mark.docker,
    pytest.mark.skipif(
        not ENGINE_ANSWERS,
        reason="no Docker engine answers here (or `docker compose` is missing): "
        "run scripts/ensure-docker",
    ),
]


def ecomctl(workspace: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`ecomctl --workspace W ...` with the workspace's own runtime: scripts/test sets
    ECOMCTL_RUNTIME=local for the suite, which `down`/`status`/`logs` would obey."""
    env = {key: value for key, value in os.environ.items() if key != "ECOMCTL_RUNTIME"}
    return subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()",
         "--workspace", str(workspace), *args],
        env={**env, "NO_COLOR": "1", "COLUMNS": "160"},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def project_of(workspace: Path) -> str:
    ws = Workspace(workspace.resolve())
    return project_name(load_stack(ws.stack_file), ws)


def leftovers(project: str) -> dict[str, list[str]]:
    """What the engine still holds for a compose project (all empty once it is down -v)."""
    client = docker.from_env()
    label = {"label": f"{PROJECT_LABEL}={project}"}
    try:
        return {
            "containers": [c.name for c in client.containers.list(all=True, filters=label)],
            "networks": [n.name for n in client.networks.list(filters=label)],
            "volumes": [v.name for v in client.volumes.list(filters=label)],
        }
    finally:
        client.close()


NOTHING: dict[str, list[str]] = {"containers": [], "networks": [], "volumes": []}


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def passes_order_happy_path(workspace: Path) -> None:
    result = ecomctl(workspace, "scenario", "order-happy-path", "--json", timeout=600)
    assert result.stdout, result.stderr
    payload = json.loads(result.stdout)
    failed = [check for check in payload["checks"] if not check["ok"]]
    if result.returncode != 0 or not payload["ok"]:
        # The answer alone rarely says which container refused: the log ends of the edge
        # and of the saga's services, read before `down` removes them.
        tails = {
            name: ecomctl(workspace, "logs", name, "--tail", "25").stdout[-2500:]
            for name in ("gateway", "order", "inventory", "payment")
        }
        pytest.fail(f"{payload['error']}\nfailed checks: {failed}\n{result.stderr}\n{tails}")


# -- the whole default stack ------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docker-stack")


def test_the_default_stack_runs_the_order_saga_in_containers(stack_workspace: Path) -> None:
    project = project_of(stack_workspace)
    try:
        up = ecomctl(
            stack_workspace, "up", "--runtime", "docker", "--images", "local", "--yes",
            "--json", "--port-offset", str(DOCKER_OFFSET), timeout=STACK_UP_TIMEOUT_S,
        )  # fmt: skip
        assert up.returncode == 0, up.stderr[-4000:]
        payload = json.loads(up.stdout)
        assert payload["runtime"] == "docker"
        states = {c["name"]: c["state"] for c in payload["components"]}
        assert set(states.values()) == {"ready"}, states
        assert {"gateway", "order", "kafka", "postgres"} <= set(states)
        passes_order_happy_path(stack_workspace)
        status = ecomctl(stack_workspace, "status", "--json")
        assert status.returncode == 0, status.stdout
        logs = ecomctl(stack_workspace, "logs", "order", "--tail", "5")
        assert logs.returncode == 0 and "order" in logs.stdout
    finally:
        down = ecomctl(stack_workspace, "down", "--volumes", timeout=600)
    assert down.returncode == 0, down.stderr
    assert leftovers(project) == NOTHING


def test_the_rendered_file_runs_with_docker_compose_alone(stack_workspace: Path) -> None:
    """No ecomctl between `render` and `down`: compose migrates and orders it all itself."""
    built = ecomctl(stack_workspace, "images", "build", timeout=STACK_UP_TIMEOUT_S)
    assert built.returncode == 0, built.stderr[-4000:]
    compose_file = stack_workspace / "standalone" / "compose.yaml"
    rendered = ecomctl(
        stack_workspace, "render", "compose", "--images", "local",
        "-o", str(compose_file), "--port-offset", str(DOCKER_OFFSET),
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    compose = ["docker", "compose", "-f", str(compose_file)]
    project = project_of(stack_workspace)
    try:
        up = subprocess.run(
            [*compose, "up", "--detach", "--wait", "--wait-timeout", str(WAIT_TIMEOUT_S)],
            capture_output=True, text=True, timeout=STACK_UP_TIMEOUT_S, check=False,
        )  # fmt: skip
        assert up.returncode == 0, (up.stdout + up.stderr)[-4000:]
        gateway = 8080 + DOCKER_OFFSET
        assert httpx.get(f"http://127.0.0.1:{gateway}/health/ready", timeout=10).status_code == 200
        passes_order_happy_path(stack_workspace)  # the workspace knows the offset from `up`
    finally:
        down = subprocess.run(
            [*compose, "down", "--volumes", "--remove-orphans"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    assert down.returncode == 0, down.stderr
    assert leftovers(project) == NOTHING


# -- small stacks: two workspaces, and the faults ----------------------------------------------

REDIS_PORT = 6379 + DOCKER_OFFSET + 50  # beside the full stack's ports, none of them


def redis_workspace(root: Path, *, port: int = REDIS_PORT, image: str | None = None) -> Path:
    """A workspace whose stack (named like every other here) is one Redis."""
    root.mkdir(parents=True, exist_ok=True)
    image_line = f"\n    image: {image}" if image else ""
    (root / "ecomctl.yaml").write_text(
        f"version: 1\nname: twins\ninfra:\n  redis:\n    port: {port}{image_line}\n",
        encoding="utf-8",
    )
    return root


def up_local(workspace: Path) -> subprocess.CompletedProcess[str]:
    return ecomctl(
        workspace, "up", "--runtime", "docker", "--images", "local", "--json", timeout=900
    )


@pytest.fixture
def cleanup() -> Iterator[list[Path]]:
    """Workspaces to take down (with their data) whatever the test asserted."""
    workspaces: list[Path] = []
    yield workspaces
    for workspace in workspaces:
        ecomctl(workspace, "down", "--volumes")


def test_two_workspaces_of_the_same_stack_never_share_a_container(
    tmp_path: Path, cleanup: list[Path]
) -> None:
    first = redis_workspace(tmp_path / "first")
    second = redis_workspace(tmp_path / "second", port=REDIS_PORT + 1)
    cleanup += [first, second]
    assert project_of(first) != project_of(second)
    for workspace in (first, second):
        result = up_local(workspace)
        assert result.returncode == 0, result.stderr
    down = ecomctl(first, "down", "--volumes")
    assert down.returncode == 0, down.stderr
    assert leftovers(project_of(first)) == NOTHING
    still = json.loads(ecomctl(second, "status", "--json").stdout)
    assert [c["state"] for c in still["components"]] == ["ready"]  # untouched by first's down


def test_a_taken_host_port_is_named_with_its_component(tmp_path: Path, cleanup: list[Path]) -> None:
    workspace = redis_workspace(tmp_path / "ws")
    cleanup.append(workspace)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", REDIS_PORT))
        holder.listen()
        result = up_local(workspace)
    assert_one_line_error(result, f"port {REDIS_PORT} for redis is taken")
    assert ecomctl(workspace, "down", "--volumes").returncode == 0
    assert leftovers(project_of(workspace)) == NOTHING


def test_a_container_exiting_at_start_shows_its_last_log_lines(
    tmp_path: Path, cleanup: list[Path]
) -> None:
    """Redis refuses a corrupt append-only manifest in its data volume and exits."""
    workspace = redis_workspace(tmp_path / "ws")
    cleanup.append(workspace)
    project = project_of(workspace)
    volume = f"{project}_redis-data"
    client = docker.from_env()
    try:
        client.volumes.create(
            volume,
            labels={PROJECT_LABEL: project, "com.docker.compose.volume": "redis-data"},
        )
        client.containers.run(
            "ecomctl-local/base:local",
            ["sh", "-c", "mkdir -p /d/redis/appendonlydir && "
             "echo 'not a manifest' > /d/redis/appendonlydir/appendonly.aof.manifest"],
            volumes={volume: {"bind": "/d", "mode": "rw"}},
            remove=True,
            network_mode="none",
        )  # fmt: skip
    finally:
        client.close()
    result = up_local(workspace)
    # "exited", or "restarting after exit code 1" when the poll finds its policy restarting it
    assert_one_line_error(result, "redis: container", "exit")
    assert "manifest" in result.stderr.lower()  # redis's own last lines, shown under it
    assert ecomctl(workspace, "down", "--volumes").returncode == 0
    assert leftovers(project) == NOTHING


def test_no_daemon_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    workspace = redis_workspace(tmp_path / "ws")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-dockerd.sock"}
    argv = ["--workspace", str(workspace), "up", "--runtime", "docker"]
    result = subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()", *argv],
        env={**env, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert_one_line_error(result, "no Docker engine answers", "--runtime local")


def test_an_official_image_missing_names_it_and_the_fix(
    tmp_path: Path, cleanup: list[Path]
) -> None:
    # A registry address nothing listens on: the pull fails at once, as with no registry.
    missing = "127.0.0.1:9/ecomctl-missing/redis:none"
    workspace = redis_workspace(tmp_path / "ws", image=missing)
    cleanup.append(workspace)
    result = ecomctl(workspace, "up", "--runtime", "docker", "--images", "official", timeout=300)
    assert_one_line_error(result, f"image {missing}", "ecomctl images build")
    assert ecomctl(workspace, "down", "--volumes").returncode == 0
    assert leftovers(project_of(workspace)) == NOTHING
