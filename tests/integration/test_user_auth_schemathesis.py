"""Schemathesis over user-auth's own OpenAPI document: no input makes it answer 5xx.

Bounded (a few examples per operation) so the suite stays fast; a valid token is sent so
the protected operations are exercised past the authentication check too.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from test_user_auth_service import auth, register_and_login, user_auth, user_auth_db

MAX_EXAMPLES = 8
_ = (user_auth, user_auth_db)  # module-scoped fixtures used through user_auth_schema


@pytest.fixture(scope="module")
def user_auth_token(user_auth: str) -> dict[str, str]:
    return auth(register_and_login(user_auth))


@pytest.fixture(scope="module")
def user_auth_schema(user_auth: str) -> Any:
    return schemathesis.openapi.from_url(f"{user_auth}/openapi.json")


schema = schemathesis.pytest.from_fixture("user_auth_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, user_auth_token: dict[str, str]) -> None:
    if case.path == "/api/auth/logout":
        return  # would revoke nothing of ours, but keep the token family of this module alive
    response = case.call(headers=user_auth_token)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
