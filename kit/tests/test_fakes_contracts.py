"""The kit's fakes pass the same contracts as the real adapters (tests/integration)."""

from typing import Any

import pytest

from ecomkit.testing import FakeRegistry, InMemoryInbox, InMemoryProducer
from ecomkit.testing.contracts import InboxContract, ProducerContract, RegistryContract


class TestInMemoryInbox(InboxContract):
    @pytest.fixture
    def inbox(self) -> InMemoryInbox:
        return InMemoryInbox()


class TestInMemoryProducer(ProducerContract):
    @pytest.fixture
    def producer(self) -> InMemoryProducer:
        return InMemoryProducer()

    @pytest.fixture
    def read_back(self, producer: InMemoryProducer) -> Any:
        async def read(
            topic: str, n: int
        ) -> list[tuple[bytes | None, bytes | None, dict[str, bytes]]]:
            return [(r.key, r.value, dict(r.headers)) for r in producer.on(topic)[-n:]]

        return read


class TestFakeRegistry(RegistryContract):
    @pytest.fixture
    def registry(self) -> FakeRegistry:
        return FakeRegistry()

    @pytest.fixture
    def add(self, registry: FakeRegistry) -> Any:
        async def add(service: str, url: str, instance_id: str) -> None:
            registry.add(service, url, instance_id=instance_id)

        return add
