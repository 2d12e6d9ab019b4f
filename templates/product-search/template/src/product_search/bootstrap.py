"""Wires the real index (or the fake a test passes in) into a message bus."""

from __future__ import annotations

from dataclasses import dataclass

from opensearchpy import AsyncOpenSearch

from product_search.adapters.bulk import BulkWriter
from product_search.adapters.opensearch import OpenSearchIndex
from product_search.adapters.query_log import MemoryQueryLog, RedisQueryLog
from product_search.domain.documents import IndexChange
from product_search.service_layer.handlers import Dependencies
from product_search.service_layer.messagebus import MessageBus, message_bus
from product_search.service_layer.ports import QueryLog, SearchIndex
from product_search.settings import Settings


@dataclass
class Resources:
    """The OpenSearch client and the query log the app opens, so it can check and close
    them."""

    client: AsyncOpenSearch
    index: OpenSearchIndex
    queries: QueryLog

    async def close(self) -> None:
        await self.client.close()
        await self.queries.close()


class BulkIndex:
    """The OpenSearch index whose writes go out in bulk requests (adapters/bulk.py)."""

    def __init__(self, index: OpenSearchIndex, writer: BulkWriter) -> None:
        self._index, self._writer = index, writer
        self.search, self.suggest, self.get = index.search, index.suggest, index.get

    async def apply(self, change: IndexChange) -> None:
        await self._writer.write(change)


def open_resources(settings: Settings) -> Resources:
    client = AsyncOpenSearch(
        hosts=[settings.opensearch_url],
        timeout=settings.opensearch_timeout_s,
        max_retries=0,  # a search answers 503 at once; the indexer retries by itself
    )
    return Resources(
        client=client,
        index=OpenSearchIndex(client, settings.index_alias),
        queries=query_log(settings),
    )


def query_log(settings: Settings) -> QueryLog:
    """In Redis, shared by every instance (keys under the service's name); in this
    process's memory when no Redis is configured."""
    if not settings.redis_url:
        return MemoryQueryLog()
    return RedisQueryLog.from_url(settings.redis_url, settings.service_name)


def bootstrap(
    settings: Settings,
    resources: Resources | None = None,
    *,
    index: SearchIndex | None = None,
    queries: QueryLog | None = None,
) -> MessageBus:
    """The real index for what is not passed in (tests pass a fake and no resources)."""
    if queries is None:
        queries = resources.queries if resources is not None else MemoryQueryLog()
    if index is None:
        assert resources is not None
        writer = BulkWriter(
            resources.index.write,
            linger_s=settings.bulk_linger_s,
            max_actions=settings.bulk_max_actions,
        )
        index = BulkIndex(resources.index, writer)
    return message_bus(Dependencies(index=index, queries=queries))
