from __future__ import annotations

import pytest

from tests.contracts import InteractionRepositoryContract
from tests.fakes import FakeInteractionRepository, FakeStore

pytestmark = pytest.mark.anyio


class TestFakeInteractionRepository(InteractionRepositoryContract):
    @pytest.fixture
    def repo(self) -> FakeInteractionRepository:
        return FakeInteractionRepository(FakeStore())
