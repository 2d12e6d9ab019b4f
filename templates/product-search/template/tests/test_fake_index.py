from __future__ import annotations

import pytest

from tests.contracts import SearchIndexContract
from tests.fakes import FakeSearchIndex


class TestFakeSearchIndex(SearchIndexContract):
    @pytest.fixture
    def index(self) -> FakeSearchIndex:
        return FakeSearchIndex()
