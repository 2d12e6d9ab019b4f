"""The one port: the search index (OpenSearch, or the in-memory fake of the tests)."""

from __future__ import annotations

from typing import Any, Protocol

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
