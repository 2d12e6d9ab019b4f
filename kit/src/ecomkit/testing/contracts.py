"""Contract tests every implementation of a kit port passes, real adapter and fake alike.

Subclass a contract and provide its fixture (`inbox`, `producer`, `registry`); the kit runs
them for its fakes in kit/tests and for the real adapters in tests/integration. Needs pytest
and anyio (the `test` extra).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ecomkit.events import Envelope
from ecomkit.inbox import Inbox
from ecomkit.kafka import Producer
from ecomkit.registry_client import Instance


def envelope(**overrides: Any) -> Envelope:
    fields: dict[str, Any] = {"type": "ThingHappened", "source": "contract", "data": {"n": 1}}
    fields.update(overrides)
    return Envelope(**fields)


class Effects:
    """Counts handler effects; a handler built from it can be made to fail."""

    def __init__(self) -> None:
        self.count = 0

    async def handler(self, env: Envelope, uow: Any) -> None:
        self.count += 1

    async def failing(self, env: Envelope, uow: Any) -> None:
        raise RuntimeError("handler failed")


class InboxContract:
    pytestmark = pytest.mark.anyio  # inherited by the subclasses in other modules

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    async def test_handles_a_new_event(self, inbox: Inbox) -> None:
        effects = Effects()
        assert await inbox.handle(envelope(), "c1", effects.handler) is True
        assert effects.count == 1

    async def test_skips_a_redelivered_event(self, inbox: Inbox) -> None:
        effects, env = Effects(), envelope()
        await inbox.handle(env, "c1", effects.handler)
        assert await inbox.handle(env, "c1", effects.handler) is False
        assert effects.count == 1

    async def test_each_consumer_handles_the_event_once(self, inbox: Inbox) -> None:
        effects, env = Effects(), envelope()
        await inbox.handle(env, "c1", effects.handler)
        assert await inbox.handle(env, "c2", effects.handler) is True
        assert effects.count == 2

    async def test_a_failed_handling_is_not_recorded(self, inbox: Inbox) -> None:
        effects, env = Effects(), envelope()
        with pytest.raises(RuntimeError):
            await inbox.handle(env, "c1", effects.failing)
        assert await inbox.handle(env, "c1", effects.handler) is True
        assert effects.count == 1

    async def test_records_what_it_handled(self, inbox: Any) -> None:
        env = envelope()
        assert not await inbox.was_handled(str(env.id), "c1")
        await inbox.handle(env, "c1", Effects().handler)
        assert await inbox.was_handled(str(env.id), "c1")


class ProducerContract:
    """`producer` fixture: a started producer; `read_back(topic, n)` fixture: the last n
    records on a topic as (key, value, headers-dict)."""

    pytestmark = pytest.mark.anyio  # inherited by the subclasses in other modules

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def topic(self) -> str:
        return f"contract-{uuid.uuid4().hex[:8]}"

    async def test_send_and_wait_delivers_key_value_headers(
        self, producer: Producer, topic: str, read_back: Any
    ) -> None:
        await producer.send_and_wait(topic, b"v1", key=b"k", headers=[("h", b"x")])
        assert await read_back(topic, 1) == [(b"k", b"v1", {"h": b"x"})]

    async def test_send_returns_an_awaitable_ack_and_keeps_order(
        self, producer: Producer, topic: str, read_back: Any
    ) -> None:
        acks = [await producer.send(topic, f"v{i}".encode(), key=b"k") for i in range(3)]
        for ack in acks:
            await ack
        assert [v for _, v, _ in await read_back(topic, 3)] == [b"v0", b"v1", b"v2"]


class RegistryContract:
    """`registry` fixture: a Registry; `add(service, url, instance_id)` fixture registers an
    instance through the implementation's own way of registering."""

    pytestmark = pytest.mark.anyio  # inherited by the subclasses in other modules

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    async def test_unknown_service_has_no_instances(self, registry: Any) -> None:
        assert await registry.instances(f"nobody-{uuid.uuid4().hex[:6]}") == []

    async def test_lists_registered_instances(self, registry: Any, add: Any) -> None:
        service = f"svc-{uuid.uuid4().hex[:6]}"
        await add(service, "http://127.0.0.1:1", "a")
        await add(service, "http://127.0.0.1:2", "b")
        found = await registry.instances(service)
        assert all(isinstance(i, Instance) for i in found)
        assert sorted((i.instance_id, i.url) for i in found) == [
            ("a", "http://127.0.0.1:1"),
            ("b", "http://127.0.0.1:2"),
        ]
