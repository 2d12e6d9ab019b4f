from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecomctl.infra import registry
from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """redis and zipkin become tiny HTTP servers; zipkin depends on redis."""
    monkeypatch.setitem(
        registry._IMPLEMENTATIONS, "redis", "tests.unit.fake_components:HttpServerComponent"
    )
    monkeypatch.setitem(
        registry._IMPLEMENTATIONS, "zipkin", "tests.unit.fake_components:DependentComponent"
    )
    monkeypatch.setitem(
        registry._IMPLEMENTATIONS, "smtp", "tests.unit.fake_components:CrashingComponent"
    )
    yield


@pytest.fixture
def fake_stack() -> Stack:
    return Stack.model_validate(
        {
            "name": "unit",
            "infra": {
                "redis": {"port": free_port()},
                "zipkin": {"port": free_port()},
                "smtp": {"port": free_port(), "enabled": True},
            },
        }
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(root=tmp_path / "ws")


def install_user_auth_stand_in(ws: Workspace, stack: Stack) -> Path:
    """user-auth generated from its template into `ws`, and a `.ecomctl/venv/bin/python`
    that runs its real code with this interpreter (a venv install would take minutes).

    Returns the file where that python appends each argv it was started with.
    """
    import os
    import sys

    from ecomctl.runtime.services import service_dir, venv_dir
    from ecomctl.scaffold import generate_service

    generate_service(workspace=ws, name="user-auth", spec=stack.services["user-auth"])
    argv_log = ws.state_dir / "python-argv.log"
    python = venv_dir(ws) / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{argv_log}"\n'
        f'PYTHONPATH="{service_dir(ws.root, "user-auth") / "src"}" exec "{sys.executable}" "$@"\n'
    )
    os.chmod(python, 0o755)
    return argv_log
