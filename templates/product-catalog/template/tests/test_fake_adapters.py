from __future__ import annotations

import pytest

from product_catalog.adapters.mongo import ReviewStore
from tests.contracts import ReviewStoreContract, UnitOfWorkContract
from tests.fakes import FakeReviewStore

pytestmark = pytest.mark.anyio


class TestFakeUnitOfWork(UnitOfWorkContract):
    """The fakes meet the storage contract (`uow`: the fakes' factory, tests/conftest.py)."""


class TestFakeReviewStore(ReviewStoreContract):
    @pytest.fixture
    def store(self) -> ReviewStore:
        return FakeReviewStore()
