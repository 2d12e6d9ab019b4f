from __future__ import annotations

import pytest

from product_catalog.service_layer.handlers import Dependencies
from product_catalog.service_layer.messagebus import MessageBus, message_bus
from tests.fakes import (
    FakeProductCache,
    FakeReviewStore,
    FakeStockLookup,
    FakeStore,
    FakeUnitOfWork,
    FakeUserDirectory,
)

pytest_plugins = ["ecomkit.testing.plugin"]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def deps(store: FakeStore) -> Dependencies:
    return Dependencies(
        uow=lambda: FakeUnitOfWork(store),
        cache=FakeProductCache(),
        review_store=FakeReviewStore(),
        users=FakeUserDirectory(),
        stock=FakeStockLookup(),
        clock=lambda: store.now,
    )


@pytest.fixture
def bus(deps: Dependencies) -> MessageBus:
    return message_bus(deps)
