from __future__ import annotations

from collections.abc import Callable

import pytest
from ecomkit.testing.fixtures import in_memory_storage

from product_catalog.service_layer.handlers import Dependencies
from product_catalog.service_layer.messagebus import MessageBus, message_bus
from product_catalog.service_layer.unit_of_work import UnitOfWork
from tests.fakes import (
    FakeProductCache,
    FakeReviewStore,
    FakeStockLookup,
    FakeStore,
    FakeUnitOfWork,
    FakeUserDirectory,
)

pytest_plugins = ["ecomkit.testing.plugin"]


store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)


@pytest.fixture
def deps(store: FakeStore, uow: Callable[[], UnitOfWork]) -> Dependencies:
    return Dependencies(
        uow=uow,
        cache=FakeProductCache(),
        review_store=FakeReviewStore(),
        users=FakeUserDirectory(),
        stock=FakeStockLookup(),
        clock=lambda: store.now,
    )


@pytest.fixture
def bus(deps: Dependencies) -> MessageBus:
    return message_bus(deps)
