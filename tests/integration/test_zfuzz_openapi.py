"""Schemathesis over the OpenAPI document of every service `ecomctl up` started: no input
makes any of them answer 5xx (PERFORMANCE.md "fuzz"). Called directly, not through the
gateway, with an ADMIN token so protected operations run past authentication.

The module name sorts it after the other platform tests on purpose: it writes random but
valid data (orders, payments, stock) into the shared platform, which must not meet the
saga tests' own orders."""

from __future__ import annotations

import uuid

import httpx
import pytest
from test_user_auth_schemathesis import fuzz_for_server_errors

from tests.integration.conftest import Platform

SERVICES = ["registry", "gateway", "order", "payment", "inventory", "notification"]
PASSWORD = "Fuzz-pass-42!"


@pytest.fixture(scope="module")
def admin_headers(platform: Platform) -> dict[str, str]:
    username = f"fuzz{uuid.uuid4().hex[:8]}"
    created = platform.ecomctl(
        "users", "create-admin", "--username", username, "--password", PASSWORD
    )
    assert created.returncode == 0, created.stderr
    login = httpx.post(
        f"http://127.0.0.1:{platform.port('user-auth')}/api/auth/login",
        json={"username": username, "password": PASSWORD},
        timeout=15,
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors(platform: Platform, admin_headers: dict[str, str], service: str) -> None:
    base_url = f"http://127.0.0.1:{platform.port(service)}"
    # Registering or removing instances would change where the gateway routes real traffic.
    skip = frozenset(
        {
            "POST /api/registry/instances",
            "DELETE /api/registry/instances/{service}/{instance_id}",
            "PUT /api/registry/instances/{service}/{instance_id}/weight",
        }
    )
    assert fuzz_for_server_errors(base_url, admin_headers, skip=skip) == []
