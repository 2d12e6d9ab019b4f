"""ecomkit.testing.TestAuth: the settings verify the tokens it signs, and its admin and
service callers are who an API test's role checks expect."""

from __future__ import annotations

import pytest

from ecomkit.auth import verifier_from_settings
from ecomkit.settings import ServiceSettings
from ecomkit.testing import ADMIN_ID, SERVICE_ID, TestAuth

pytestmark = pytest.mark.anyio

AUTH = TestAuth(ServiceSettings, service_name="svc")


async def claims_of(header: dict[str, str]) -> tuple[int, list[str]]:
    scheme, token = header["Authorization"].split(" ")
    assert scheme == "Bearer"
    claims = await verifier_from_settings(AUTH.settings).verify(token)
    return claims.user_id, claims.roles


async def test_the_admin_and_the_service_callers() -> None:
    assert await claims_of(AUTH.admin) == (ADMIN_ID, ["ADMIN"])
    assert await claims_of(AUTH.service) == (SERVICE_ID, ["SERVICE"])


async def test_a_user_of_the_tests_own() -> None:
    assert await claims_of(AUTH.bearer(5)) == (5, ["USER"])
    assert await claims_of(AUTH.bearer(6, "ADMIN", "SERVICE")) == (6, ["ADMIN", "SERVICE"])
