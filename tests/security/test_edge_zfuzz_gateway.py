"""Schemathesis over every service's OpenAPI document, sent THROUGH THE GATEWAY with a real
user's token (issue 16; PERFORMANCE.md "fuzz"): 0 server errors, 0 response-schema
violations. The documents are read from the services' own ports (the gateway does not
route them); only their `/api/**` operations are called, at the gateway. Named to sort
last: it writes random data and makes failed logins."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.conftest import Platform
from tests.security.conftest import new_user

SERVICES = ["user-auth", "product-catalog", "order", "payment", "inventory", "notification"]
MAX_EXAMPLES = int(os.environ.get("ECOMCTL_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("ECOMCTL_FUZZ_SEED", "16016"))
# Logging out would end the token this module uses; faults would turn on injected 5xx.
SKIP = frozenset({"POST /api/auth/logout", "PUT /admin/faults"})


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors_and_no_schema_violations_through_the_gateway(
    stack: Platform, gateway: httpx.Client, service: str
) -> None:
    _, user = new_user(gateway)
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{stack.port(service)}/openapi.json")
    base_url = str(gateway.base_url).rstrip("/")
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"operation the generator cannot handle: {result}"
        operation = result.ok()
        name = f"{operation.method.upper()} {operation.path}"
        if not operation.path.startswith("/api/") or name in SKIP:
            continue

        @seed(SEED)
        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=base_url, headers=user)
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
            except (AssertionError, FailureGroup) as exc:
                failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:400]}")

        call()
    print(f"fuzz {service} through the gateway: {calls} calls, seed {SEED}, {MAX_EXAMPLES}/op")
    assert failures == []
