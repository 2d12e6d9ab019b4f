from __future__ import annotations

import pytest
from ecomkit.testing.fixtures import in_memory_storage

from order.service_layer.handlers import Dependencies
from order.service_layer.messagebus import MessageBus, message_bus
from tests.contracts import UowFactory
from tests.fakes import FakeProductCatalog, FakeStore, FakeUnitOfWork, FakeUserDirectory

pytest_plugins = ["ecomkit.testing.plugin"]


store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)


@pytest.fixture
def users() -> FakeUserDirectory:
    directory = FakeUserDirectory()
    directory.add(1, "ada@example.com")
    directory.add(2, "bob@example.com")
    return directory


@pytest.fixture
def catalog() -> FakeProductCatalog:
    catalog = FakeProductCatalog()
    catalog.add(10, "19.99")
    catalog.add(11, "5.00")
    catalog.add(12, "7.50", currency="EUR")
    catalog.add(13, "1.00", active=False)
    return catalog


@pytest.fixture
def deps(
    store: FakeStore, uow: UowFactory, users: FakeUserDirectory, catalog: FakeProductCatalog
) -> Dependencies:
    return Dependencies(
        uow=uow,
        users=users,
        catalog=catalog,
        saga_timeout_s=60,
        clock=lambda: store.now,
    )


@pytest.fixture
def bus(deps: Dependencies) -> MessageBus:
    return message_bus(deps)
