from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from ecomkit.registry_client import SECRET_HEADER
from ecomkit.testing import TestKeys
from fastapi.testclient import TestClient
from pydantic import SecretStr

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


SECRET = "registration-secret-for-tests"
KEYS = TestKeys()  # user-auth's key in a real stack: weights need an ADMIN token it signed
SETTINGS = Settings(
    registry_sweep_interval_s=3600,
    registry_secret=SecretStr(SECRET),
    registry_services=["user-auth", "order"],
    **KEYS.settings(),
)


@pytest.fixture
def anonymous(registry: ServiceRegistry) -> Iterator[TestClient]:
    """A caller without the registration secret."""
    with TestClient(create_app(SETTINGS, registry=registry)) as test_client:
        yield test_client


@pytest.fixture
def client(anonymous: TestClient) -> TestClient:
    """A service of the stack: it holds the registration secret."""
    anonymous.headers[SECRET_HEADER] = SECRET
    return anonymous


@pytest.fixture
def bearer() -> Callable[[str], dict[str, str]]:
    """An Authorization header with an access token holding one role."""
    issuer = KEYS.issuer(SETTINGS)
    return lambda role: {"Authorization": f"Bearer {issuer.issue_access(1, 'someone', [role])}"}
