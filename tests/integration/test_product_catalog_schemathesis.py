"""Schemathesis over product-catalog's OpenAPI document: no input makes it answer 5xx.

Bounded (a few examples per operation); an ADMIN token is sent so the write operations
get past RBAC and their bodies reach validation and the database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from test_product_catalog_service import Stack, stack
from test_user_auth_service import auth

MAX_EXAMPLES = 8
_ = stack  # the module-scoped platform fixture used through catalog_schema


@pytest.fixture(scope="module")
def catalog_schema(stack: Stack) -> Any:
    return schemathesis.openapi.from_url(f"{stack.catalog.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("catalog_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, stack: Stack) -> None:
    response = case.call(headers=auth(stack.admin))
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
