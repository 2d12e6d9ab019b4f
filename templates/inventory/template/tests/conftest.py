from __future__ import annotations

import pytest
from ecomkit.testing.fixtures import in_memory_storage

from inventory.service_layer.handlers import Dependencies
from inventory.service_layer.messagebus import MessageBus, message_bus
from tests.contracts import UowFactory
from tests.fakes import FakeStore, FakeUnitOfWork

pytest_plugins = ["ecomkit.testing.plugin"]

store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)


@pytest.fixture
def deps(store: FakeStore, uow: UowFactory) -> Dependencies:
    return Dependencies(uow=uow, reservation_ttl_s=900, clock=lambda: store.now)


@pytest.fixture
def bus(deps: Dependencies) -> MessageBus:
    return message_bus(deps)
