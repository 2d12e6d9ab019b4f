"""The real adapters pass the same contracts as the kit's fakes (kit/tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from ecomkit.cache import TwoLevelCache
from ecomkit.db import create_session_factory
from ecomkit.inbox import MongoInbox, SqlInbox
from ecomkit.kafka import create_producer
from ecomkit.testing.contracts import InboxContract, ProducerContract
from pymongo import AsyncMongoClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from test_kit_support import dialect, engine, new_topic, read_all

__all__ = ["dialect", "engine"]


class TestSqlInbox(InboxContract):
    @pytest.fixture
    def inbox(self, engine: AsyncEngine) -> SqlInbox:
        return SqlInbox(create_session_factory(engine), source="kit-test")


class TestMongoInbox(InboxContract):
    @pytest.fixture
    async def inbox(self, mongo_url: str) -> AsyncIterator[MongoInbox]:
        client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url)
        yield MongoInbox(client[f"kit_{uuid.uuid4().hex[:8]}"])
        await client.close()


class TestKafkaProducer(ProducerContract):
    @pytest.fixture
    async def producer(self, kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
        producer = create_producer(kafka_bootstrap)
        await producer.start()
        yield producer
        await producer.stop()

    @pytest.fixture
    async def topic(self, kafka_bootstrap: str) -> str:
        return await new_topic(kafka_bootstrap, partitions=1)

    @pytest.fixture
    def read_back(self, kafka_bootstrap: str) -> Any:
        async def read(topic: str, n: int) -> list[Any]:
            records = await read_all(kafka_bootstrap, topic, n)
            return [(r.key, r.value, dict(r.headers)) for r in records[-n:]]

        return read


@pytest.mark.anyio
class TestTwoLevelCacheOnRedis:
    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    async def redis(self, redis_url: str) -> AsyncIterator[Redis]:
        client = Redis.from_url(redis_url)
        yield client
        await client.aclose()

    async def test_miss_then_l1_then_l2_then_invalidated(self, redis: Redis) -> None:
        prefix = f"kit-{uuid.uuid4().hex[:8]}"
        cache = TwoLevelCache(redis, prefix=prefix)
        assert await cache.get("p1") == (None, None)
        await cache.set("p1", {"name": "mug", "price": "9.50"})
        assert await cache.get("p1") == ({"name": "mug", "price": "9.50"}, "l1")
        other_instance = TwoLevelCache(redis, prefix=prefix)
        assert await other_instance.get("p1") == ({"name": "mug", "price": "9.50"}, "l2")
        await cache.invalidate("p1")
        assert await cache.get("p1") == (None, None)
        assert await redis.ttl(f"{prefix}:p1") == -2

    async def test_redis_outage_is_a_miss_not_an_error(self) -> None:
        broken = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
        cache = TwoLevelCache(broken, prefix="kit")
        assert await cache.get("k") == (None, None)
        await cache.set("k", 1)  # kept in L1 only
        assert await cache.get("k") == (1, "l1")
        await broken.aclose()
