from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from registry.domain.model import ServiceRegistry
from registry.entrypoints.app import create_app
from registry.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(clock: FakeClock) -> ServiceRegistry:
    return ServiceRegistry(evict_after_s=30, clock=clock)


@pytest.fixture
def client(registry: ServiceRegistry) -> Iterator[TestClient]:
    app = create_app(Settings(registry_sweep_interval_s=3600), registry=registry)
    with TestClient(app) as test_client:
        yield test_client
