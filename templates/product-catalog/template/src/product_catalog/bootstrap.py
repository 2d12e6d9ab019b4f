"""Wires real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ecomkit.cache import TwoLevelCache
from ecomkit.db import create_engine, create_read_engine, create_session_factory
from ecomkit.service import ServiceResources
from pymongo import AsyncMongoClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from product_catalog.adapters.cache import TwoLevelProductCache
from product_catalog.adapters.clients import HttpStockLookup, HttpUserDirectory
from product_catalog.adapters.mongo import MongoReviewStore
from product_catalog.service_layer.handlers import Dependencies
from product_catalog.service_layer.messagebus import MessageBus, message_bus
from product_catalog.service_layer.unit_of_work import MysqlUnitOfWork
from product_catalog.settings import Settings


@dataclass(kw_only=True)
class Resources(ServiceResources):
    engine: AsyncEngine
    read_engine: AsyncEngine  # reads of one statement, in autocommit (no ROLLBACK after)
    redis: Redis
    mongo: AsyncMongoClient[Any]
    review_store: MongoReviewStore

    async def close(self) -> None:
        await super().close()
        await self.redis.aclose()
        await self.mongo.close()
        await self.engine.dispose()
        await self.read_engine.dispose()


def open_resources(settings: Settings) -> Resources:
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongo_url, tz_aware=False)
    database = mongo.get_default_database(default="reviews")
    return Resources(
        engine=create_engine(settings.database_url),
        read_engine=create_read_engine(settings.database_url),
        redis=Redis.from_url(settings.redis_url),
        mongo=mongo,
        review_store=MongoReviewStore(database),
    )


def bootstrap(settings: Settings, resources: Resources) -> MessageBus:
    sessions = create_session_factory(resources.engine)
    cache = TwoLevelCache(
        resources.redis,
        prefix=f"{settings.service_name}:product",
        l1_ttl_s=settings.cache_l1_ttl_s,
        l2_ttl_s=settings.cache_l2_ttl_s,
    )
    uow: Callable[[], MysqlUnitOfWork] = lambda: MysqlUnitOfWork(sessions)  # noqa: E731
    read_sessions = create_session_factory(resources.read_engine)
    reads: Callable[[], MysqlUnitOfWork] = lambda: MysqlUnitOfWork(read_sessions)  # noqa: E731
    return message_bus(
        Dependencies(
            uow=uow,
            reads=reads,
            cache=TwoLevelProductCache(cache),
            review_store=resources.review_store,
            users=HttpUserDirectory(resources.client("user-auth", settings)),
            stock=HttpStockLookup(resources.client("inventory", settings)),
        )
    )
