"""Fixtures a service's unit tests build from its own fakes, declared once here instead of in
every test module. In a service's tests/conftest.py:

    store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)

gives each test a fresh `store` and a `uow` factory of units of work on it, the fixtures the
handler, API and contract tests of the service ask for; `api_client(app)` is the HTTP client
its API tests call the app with, and `problem(response, status)` reads a refusal's body
after checking it is one. Needs pytest (the `test` extra).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest

StoreT = TypeVar("StoreT")
UowT = TypeVar("UowT")


def in_memory_storage(
    store_type: Callable[[], StoreT], uow_type: Callable[[StoreT], UowT]
) -> tuple[Any, Any]:
    """The `store` fixture (a new `store_type()` per test) and the `uow` fixture (a factory
    of `uow_type(store)` on that store, what a service's `Dependencies.uow` expects)."""

    @pytest.fixture(name="store")
    def store_fixture() -> StoreT:
        return store_type()

    @pytest.fixture(name="uow")
    def uow_fixture(store: StoreT) -> Callable[[], UowT]:
        return lambda: uow_type(store)

    return store_fixture, uow_fixture


@asynccontextmanager
async def api_client(app: Any, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client calling the ASGI `app` in process (no socket, no server)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The body of `response`, asserted to be a problem+json answer with `status` (RFC 9457,
    what every service answers bad input and refusals with)."""
    # Messages of their own: pytest rewrites the asserts of test modules, not of this one.
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/problem+json"), f"{content_type}: {response.text}"
    body: dict[str, Any] = response.json()
    return body
