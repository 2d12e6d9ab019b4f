"""Fixtures every service's tests share, as a pytest plugin. A service's tests/conftest.py
names it once:

    pytest_plugins = ["ecomkit.testing.plugin"]
"""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """anyio runs the async tests on asyncio, the services' own loop (anyio's default
    would run each on every backend installed)."""
    return "asyncio"
