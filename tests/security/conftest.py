"""The attack suite's stack (issue 16): the default stack brought up by `ecomctl up` on a
port offset of its own (ECOMCTL_TEST_PORT_OFFSET + ECOMCTL_TEST_SECURITY_SHIFT), so it never
shares a stack with tests/integration — the attacks lock out usernames and IPs;
ECOMCTL_TEST_WORKSPACE reuses a running stack instead."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import OFFSET, Platform, session_platform

SECURITY_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_SECURITY_SHIFT", "4200"))
PASSWORD = "Attack-suite-42!"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from session_platform(tmp_path_factory.mktemp("security"), SECURITY_OFFSET)


@pytest.fixture(scope="session")
def gateway(stack: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.port('gateway')}", timeout=15) as c:
        yield c


@pytest.fixture(scope="session")
def admin(stack: Platform, gateway: httpx.Client) -> dict[str, str]:
    username = f"admin{uuid.uuid4().hex[:8]}"
    made = stack.ecomctl("users", "create-admin", "--username", username, "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    return bearer(login(gateway, username))


def service_url(stack: Platform, name: str) -> str:
    return f"http://127.0.0.1:{stack.port(name)}"


def workspace_secret(workspace: Path, key: str) -> str:
    secrets: dict[str, str] = json.loads((workspace / ".ecomctl" / "secrets.json").read_text())
    return secrets[key]


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


def register(gateway: httpx.Client) -> str:
    """A fresh account's username (registration answers 202 and no id, new or not)."""
    username = f"user{uuid.uuid4().hex[:10]}"
    created = gateway.post(
        "/api/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert created.status_code == 202, created.text
    return username


def new_user(gateway: httpx.Client) -> tuple[int, dict[str, str]]:
    """A fresh account: its id and an Authorization header with its access token."""
    token = bearer(login(gateway, register(gateway)))
    profile = gateway.get("/api/users/profile", headers=token)
    assert profile.status_code == 200, profile.text
    return int(profile.json()["id"]), token


def login(gateway: httpx.Client, username: str) -> str:
    response = gateway.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
