from __future__ import annotations

import pytest
from ecomkit.testing.fixtures import in_memory_storage

from tests.fakes import FakePaymentProvider, FakeStore, FakeUnitOfWork

pytest_plugins = ["ecomkit.testing.plugin"]

store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)


@pytest.fixture
def provider() -> FakePaymentProvider:
    return FakePaymentProvider()
