"""Schemathesis over user-auth's own OpenAPI document: no input makes it answer 5xx.

Bounded (a few examples per operation) so the suite stays fast; a valid token is sent so
the protected operations are exercised past the authentication check too. Driven through
`as_strategy()` + hypothesis rather than schemathesis' pytest plugin, whose lazy fixture
loader does not work with pytest 9.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from test_user_auth_service import auth, register_and_login, user_auth, user_auth_db

MAX_EXAMPLES = 8
# Every service has them: with an ADMIN token, fuzzing would switch on injected 5xx answers
# (ecomkit.faults) or pause the process's Kafka consumers for every call after it.
NEVER_FUZZED = frozenset({"PUT /admin/faults", "PUT /admin/consumers"})
# This module's user-auth runs without Redis and an SMTP server: a reset answers 503 by
# design there (tests/security exercises it on a whole stack).
WITHOUT_MAIL = frozenset({"POST /api/auth/password/forgot", "POST /api/auth/password/reset"})
_ = (user_auth, user_auth_db)  # module-scoped fixtures, imported to be used here


def fuzz_for_server_errors(
    base_url: str, headers: dict[str, str], *, skip: frozenset[str] = frozenset()
) -> list[str]:
    """Every operation of the service's OpenAPI document with generated input; returns the
    calls that got a 5xx (empty when none did)."""
    # The gateway's document is an operator page (ADMIN only, docs/security.md).
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", headers=headers)
    failures: list[str] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"operation the generator cannot handle: {result}")
            continue
        operation = result.ok()
        if f"{operation.method.upper()} {operation.path}" in skip | NEVER_FUZZED:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        call()
    return failures


def test_no_server_errors(user_auth: str) -> None:
    token = auth(register_and_login(user_auth))
    # Logout would revoke this module's session family; it takes no path input anyway.
    skip = frozenset({"POST /api/auth/logout"}) | WITHOUT_MAIL
    failures = fuzz_for_server_errors(user_auth, token, skip=skip)
    assert failures == []
