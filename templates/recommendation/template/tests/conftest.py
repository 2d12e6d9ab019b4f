from __future__ import annotations

from ecomkit.testing.fixtures import in_memory_storage

from tests.fakes import FakeStore, FakeUnitOfWork

pytest_plugins = ["ecomkit.testing.plugin"]

store, uow = in_memory_storage(FakeStore, FakeUnitOfWork)
