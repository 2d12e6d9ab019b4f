"""Fixtures a service's unit tests build from its own fakes, declared once here instead of in
every test module. In a service's tests/conftest.py:

    store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)

gives each test a fresh `store` and a `uow` factory of units of work on it, the fixtures the
handler, API and contract tests of the service ask for. Needs pytest (the `test` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
