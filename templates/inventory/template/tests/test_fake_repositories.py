from __future__ import annotations

import pytest

from tests.contracts import UnitOfWorkContract, UowFactory
from tests.fakes import FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio


class TestFakeUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def uow(self) -> UowFactory:
        store = FakeStore()
        return lambda: FakeUnitOfWork(store)
