from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.bootstrap import Gateway, upstream_pool
from gateway.settings import Settings
from tests.test_proxy import Upstream, make_gateway, serving

pytest_plugins = ["ecomkit.testing.plugin"]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with serving() as state:
        yield state


@pytest.fixture
async def gateway(upstream: Upstream) -> AsyncIterator[Gateway]:
    gateway = make_gateway(upstream.url)
    gateway.proxy.pool = upstream_pool(Settings())
    yield gateway
    await gateway.proxy.pool.close()
