"""The one port: the search index (OpenSearch, or the in-memory fake of the tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from product_search.domain.analytics import TopQueries
from product_search.domain.documents import IndexChange
from product_search.domain.search import SearchProducts, SearchResult, SuggestProducts


class SearchIndex(Protocol):
    async def apply(self, change: IndexChange) -> None:
        """Apply the change unless the document already holds that part at the same or a
        newer version (so late and repeated events change nothing)."""

    async def search(self, request: SearchProducts) -> SearchResult: ...

    async def suggest(self, request: SuggestProducts) -> list[dict[str, Any]]: ...

    async def get(self, product_id: int) -> dict[str, Any] | None:
        """The stored document (tests and `status` read it)."""


class QueryLog(Protocol):
    async def record(self, query: str, total: int, at: datetime) -> None:
        """Count one search (normalized text) in its hour, and as zero-result if total is 0;
        never raises: counting is best effort."""

    async def top(self, now: datetime, hours: int, limit: int) -> TopQueries:
        """The most frequent and the zero-result queries of the last `hours` hours."""

    async def close(self) -> None: ...
