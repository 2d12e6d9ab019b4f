"""Wires the real index (or the fake a test passes in) into a message bus."""

from __future__ import annotations

from dataclasses import dataclass

from opensearchpy import AsyncOpenSearch

from product_search.adapters.bulk import BulkWriter
from product_search.adapters.opensearch import OpenSearchIndex
from product_search.domain.documents import IndexChange
from product_search.service_layer.handlers import Dependencies
from product_search.service_layer.messagebus import MessageBus, message_bus
from product_search.service_layer.ports import SearchIndex
from product_search.settings import Settings


@dataclass
class Resources:
    """The OpenSearch client the app opens, so it can check and close it."""

    client: AsyncOpenSearch
    index: OpenSearchIndex

    async def close(self) -> None:
        await self.client.close()


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
    return Resources(client=client, index=OpenSearchIndex(client, settings.index_alias))


def bootstrap(
    settings: Settings, resources: Resources | None = None, *, index: SearchIndex | None = None
) -> MessageBus:
    """The real index for what is not passed in (tests pass a fake and no resources)."""
    if index is None:
        assert resources is not None
        writer = BulkWriter(
            resources.index.write,
            linger_s=settings.bulk_linger_s,
            max_actions=settings.bulk_max_actions,
        )
        index = BulkIndex(resources.index, writer)
    return message_bus(Dependencies(index=index))
