from __future__ import annotations

from collections.abc import Callable

import pytest

from product_catalog.adapters.mongo import ReviewStore
from product_catalog.service_layer.unit_of_work import UnitOfWork
from tests.contracts import ReviewStoreContract, UnitOfWorkContract
from tests.fakes import FakeReviewStore, FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio


class TestFakeUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def uow(self) -> Callable[[], UnitOfWork]:
        store = FakeStore()
        return lambda: FakeUnitOfWork(store)


class TestFakeReviewStore(ReviewStoreContract):
    @pytest.fixture
    def store(self) -> ReviewStore:
        return FakeReviewStore()
