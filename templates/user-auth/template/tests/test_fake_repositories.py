from __future__ import annotations

import pytest

from tests.contracts import UnitOfWorkContract

pytestmark = pytest.mark.anyio


class TestFakeUnitOfWork(UnitOfWorkContract):
    """The fakes meet the storage contract (`uow`: the fakes' factory, tests/conftest.py)."""
