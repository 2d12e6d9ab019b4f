from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contracts import UnitOfWorkContract
from tests.fakes import FakeStore, FakeUnitOfWork
from user_auth.service_layer.unit_of_work import UnitOfWork

pytestmark = pytest.mark.anyio


class TestFakeUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def uow(self) -> Callable[[], UnitOfWork]:
        store = FakeStore()
        return lambda: FakeUnitOfWork(store)
