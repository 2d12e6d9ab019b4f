from __future__ import annotations

import pytest

from tests.fakes import FakeEmailSender

pytest_plugins = ["ecomkit.testing.plugin"]


@pytest.fixture
def email() -> FakeEmailSender:
    return FakeEmailSender()
