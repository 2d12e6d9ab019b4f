"""Schemathesis over product-catalog's OpenAPI document: no input makes it answer 5xx.

Bounded (a few examples per operation); an ADMIN token is sent so the write operations
get past RBAC and their bodies reach validation and the database.
"""

from __future__ import annotations

from test_product_catalog_service import Stack, stack
from test_user_auth_schemathesis import fuzz_for_server_errors
from test_user_auth_service import auth

_ = stack  # the module-scoped fixture, imported to be used here


def test_no_server_errors(stack: Stack) -> None:
    assert fuzz_for_server_errors(stack.catalog.url, auth(stack.admin)) == []
