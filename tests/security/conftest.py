"""The attack suite's stack: the default stack brought up by `ecomctl up` on a port offset
of its own (ECOMCTL_SECURITY_PORT_OFFSET, default ECOMCTL_TEST_PORT_OFFSET + 200), so it
never collides with tests/integration's; ECOMCTL_TEST_WORKSPACE reuses a running stack."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import OFFSET, Platform, session_platform

SECURITY_OFFSET = int(os.environ.get("ECOMCTL_SECURITY_PORT_OFFSET", str(OFFSET + 200)))
PASSWORD = "Sturdy-pass-42!"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from session_platform(tmp_path_factory.mktemp("security"), SECURITY_OFFSET)


@pytest.fixture(scope="session")
def gateway(stack: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.port('gateway')}", timeout=15) as c:
        yield c


def service_url(stack: Platform, name: str) -> str:
    return f"http://127.0.0.1:{stack.port(name)}"


def keys_file(stack: Platform) -> dict[str, Any]:
    """The workspace's key ring: the attacker's dream, used here to sign *expired* tokens
    (a valid signature on bad claims) and to check what was generated."""
    path = stack.workspace / ".ecomctl" / "keys" / "jwt-signing-keys.json"
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def client_secrets(stack: Platform) -> dict[str, str]:
    path = stack.workspace / ".ecomctl" / "keys" / "service-clients.json"
    secrets: dict[str, str] = json.loads(path.read_text())
    return secrets
