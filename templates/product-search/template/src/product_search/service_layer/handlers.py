"""One handler per command (verb_noun)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from product_search.domain.analytics import normalized
from product_search.domain.commands import ApplyIndexChange
from product_search.domain.search import SearchProducts, SearchResult, SuggestProducts
from product_search.service_layer.ports import QueryLog, SearchIndex


@dataclass
class Dependencies:
    index: SearchIndex
    queries: QueryLog


async def apply_index_change(cmd: ApplyIndexChange, deps: Dependencies) -> None:
    await deps.index.apply(cmd.change)


async def search_products(query: SearchProducts, deps: Dependencies) -> SearchResult:
    result = await deps.index.search(query)
    text = normalized(query.text)
    if text and query.page == 1:  # a search counts once, not once per page turned
        await deps.queries.record(text, result.total, datetime.now(UTC))
    return result


async def suggest_products(query: SuggestProducts, deps: Dependencies) -> list[dict[str, Any]]:
    return await deps.index.suggest(query)


HANDLERS: dict[type[Any], Callable[..., Any]] = {
    ApplyIndexChange: apply_index_change,
    SearchProducts: search_products,
    SuggestProducts: suggest_products,
}
