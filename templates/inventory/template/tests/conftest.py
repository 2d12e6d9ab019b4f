from __future__ import annotations

import pytest

from inventory.service_layer.handlers import Dependencies
from inventory.service_layer.messagebus import MessageBus, message_bus
from tests.fakes import FakeStore, FakeUnitOfWork

pytest_plugins = ["ecomkit.testing.plugin"]


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def deps(store: FakeStore) -> Dependencies:
    return Dependencies(
        uow=lambda: FakeUnitOfWork(store), reservation_ttl_s=900, clock=lambda: store.now
    )


@pytest.fixture
def bus(deps: Dependencies) -> MessageBus:
    return message_bus(deps)
