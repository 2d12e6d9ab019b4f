"""What every SearchIndex must do: the fake (tests/test_fake_index.py) and OpenSearch
(ecomctl's tests/integration/test_search_service.py) run these same tests.

A subclass provides `index` (an empty index) and `settle` (OpenSearch: a refresh)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from product_search.domain.documents import IndexChange
from product_search.domain.search import SearchProducts, Sort, SuggestProducts
from product_search.service_layer.ports import SearchIndex

_ids = itertools.count(1)


def product(version: int, product_id: int | None = None, **fields: Any) -> IndexChange:
    pid = product_id or next(_ids)
    return IndexChange(
        pid,
        "product",
        version,
        {
            "id": pid,
            "sku": f"sku-{pid}",
            "name": "Blue cotton shirt",
            "description": "A shirt",
            "category": "Shirts",
            "price": 20.0,
            "currency": "USD",
            "image_url": None,
            "active": True,
            "created_at": "2026-01-01T00:00:00",
            "updated_at": "2026-01-01T00:00:00",
            **fields,
        },
    )


class SearchIndexContract:
    @pytest.fixture
    def index(self) -> SearchIndex:
        raise NotImplementedError

    async def settle(self, index: SearchIndex) -> None:
        """Make what was applied visible to searches."""

    async def _apply(self, index: SearchIndex, *changes: IndexChange) -> None:
        for change in changes:
            await index.apply(change)
        await self.settle(index)

    @pytest.mark.anyio
    async def test_newer_version_wins_in_any_order(self, index: SearchIndex) -> None:
        first = product(1, name="Old name")
        second = product(2, first.product_id, name="New name")
        await self._apply(index, second, first, first)  # late and repeated
        found = await index.get(first.product_id)
        assert found is not None and found["name"] == "New name"
        assert found["product_version"] == 2

    @pytest.mark.anyio
    async def test_stock_and_product_versions_are_separate(self, index: SearchIndex) -> None:
        change = product(5)
        stock = IndexChange(change.product_id, "stock", 100, {"in_stock": False})
        await self._apply(index, stock, change)  # stock known before the product
        found = await index.get(change.product_id)
        assert found is not None and found["in_stock"] is False and found["name"]

    @pytest.mark.anyio
    async def test_a_deleted_product_is_not_revived_by_a_late_update(
        self, index: SearchIndex
    ) -> None:
        marker = "zebrawood"
        created = product(1, name=f"{marker} stool")
        deleted = product(3, created.product_id, name=f"{marker} stool", active=False)
        late = product(2, created.product_id, name=f"{marker} stool")
        await self._apply(index, created, deleted, late)
        assert (await index.search(SearchProducts(q=marker))).total == 0

    @pytest.mark.anyio
    async def test_writers_of_one_document_at_once_all_land(self, index: SearchIndex) -> None:
        change = product(1)
        await self._apply(index, change)
        reviews = [IndexChange(change.product_id, "review", 0, {f"r-{n}": 4}) for n in range(12)]
        stocks = [
            IndexChange(change.product_id, "stock", n, {"available_stock": n}) for n in range(12)
        ]
        await asyncio.gather(*(self._apply_alone(index, c) for c in [*reviews, *stocks]))
        await self.settle(index)
        found = await index.get(change.product_id)
        assert found is not None and found["rating_count"] == 12
        assert found["stock_version"] == 11 and found["available_stock"] == 11

    async def _apply_alone(self, index: SearchIndex, change: IndexChange) -> None:
        """Applies one change as a writer of its own would (OpenSearch: its own request)."""
        await index.apply(change)

    @pytest.mark.anyio
    async def test_repeated_review_counts_once(self, index: SearchIndex) -> None:
        change = product(1)
        review = IndexChange(change.product_id, "review", 0, {"r-1": 4})
        other = IndexChange(change.product_id, "review", 0, {"r-2": 5})
        await self._apply(index, change, review, review, other)
        found = await index.get(change.product_id)
        assert found is not None and found["rating_count"] == 2 and found["rating"] == 4.5

    @pytest.mark.anyio
    async def test_facets_count_under_the_other_filters(self, index: SearchIndex) -> None:
        marker = "quokkafacet"
        await self._apply(
            index,
            product(1, name=f"{marker} lamp", category="Lamps", price=10.0),
            product(1, name=f"{marker} lamp xl", category="Lamps", price=60.0),
            product(1, name=f"{marker} desk", category="Desks", price=15.0),
        )
        result = await index.search(
            SearchProducts(q=marker, category="lamps", price_max=Decimal(20))
        )
        assert result.total == 1 and result.items[0]["name"] == f"{marker} lamp"
        # Categories under the price filter only: both cheap items' categories show.
        assert {c["value"]: c["count"] for c in result.facets.category} == {"lamps": 1, "desks": 1}
        prices = {p["value"]: p["count"] for p in result.facets.price}
        assert prices["under 25"] == 1 and prices["50-100"] == 1  # under the category only

    @pytest.mark.anyio
    async def test_brand_filter_and_facet_under_the_other_filters(
        self, index: SearchIndex
    ) -> None:
        marker = "numbatbrand"
        await self._apply(
            index,
            product(1, name=f"{marker} lamp", category="Lamps", brand="Lumen Works"),
            product(1, name=f"{marker} lamp xl", category="Lamps", brand="Brightway"),
            product(1, name=f"{marker} desk", category="Desks", brand="Lumen Works"),
            product(1, name=f"{marker} stool", category="Desks"),  # no brand
        )
        result = await index.search(SearchProducts(q=marker, brand="LUMEN works"))
        assert sorted(i["name"] for i in result.items) == [f"{marker} desk", f"{marker} lamp"]
        assert {i["brand"] for i in result.items} == {"Lumen Works"}
        lamps = await index.search(
            SearchProducts(q=marker, category="lamps", brand="lumen works")
        )
        assert lamps.total == 1 and lamps.items[0]["name"] == f"{marker} lamp"
        # Brands under the category filter only (both lamps), categories under the brand.
        brands = {b["value"]: b["count"] for b in lamps.facets.brand}
        assert brands == {"lumen works": 1, "brightway": 1}
        categories = {c["value"]: c["count"] for c in lamps.facets.category}
        assert categories == {"lamps": 1, "desks": 1}

    @pytest.mark.anyio
    async def test_sort_and_pages(self, index: SearchIndex) -> None:
        marker = "wombatsort"
        await self._apply(
            index, *(product(1, name=f"{marker} {n}", price=float(n)) for n in (30, 10, 20))
        )
        cheapest = await index.search(SearchProducts(q=marker, sort=Sort.PRICE_ASC, size=2))
        assert [i["price"] for i in cheapest.items] == [10.0, 20.0] and cheapest.total == 3
        last = await index.search(SearchProducts(q=marker, sort=Sort.PRICE_DESC, size=2, page=2))
        assert [i["price"] for i in last.items] == [10.0]

    @pytest.mark.anyio
    async def test_in_stock_filter(self, index: SearchIndex) -> None:
        marker = "okapistock"
        a, b = product(1, name=f"{marker} a"), product(1, name=f"{marker} b")
        await self._apply(index, a, b, IndexChange(b.product_id, "stock", 1, {"in_stock": True}))
        result = await index.search(SearchProducts(q=marker, in_stock=True))
        assert [i["id"] for i in result.items] == [b.product_id]

    @pytest.mark.anyio
    async def test_suggest_by_prefix(self, index: SearchIndex) -> None:
        await self._apply(index, product(1, name="Kookaburra kettle"), product(1, name="Other"))
        found = await index.suggest(SuggestProducts(q="kookaburra ket"))
        assert [s["name"] for s in found] == ["Kookaburra kettle"]


class QueryLogContract:
    """What every QueryLog must do: MemoryQueryLog (tests/test_query_log.py) and Redis
    (ecomctl's tests/integration/test_search_service.py). A subclass provides `queries`,
    an empty log."""

    NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)

    @pytest.mark.anyio
    async def test_frequent_and_zero_result_queries_of_the_last_day(self, queries: Any) -> None:
        for query, total in [("shirt", 5), ("shirt", 5), ("shoes", 2), ("shrit", 0)]:
            await queries.record(query, total, self.NOW)
        await queries.record("shrit", 0, self.NOW - timedelta(hours=5))
        await queries.record("old", 0, self.NOW - timedelta(hours=30))  # beyond the day
        found = await queries.top(self.NOW, 24, 10)
        assert found.searches == 5
        assert [(c.query, c.count) for c in found.frequent] == [
            ("shirt", 2), ("shrit", 2), ("shoes", 1),
        ]  # fmt: skip
        assert [(c.query, c.count) for c in found.zero_results] == [("shrit", 2)]
        recent = await queries.top(self.NOW, 1, 1)
        assert [(c.query, c.count) for c in recent.frequent] == [("shirt", 2)]

    @pytest.mark.anyio
    async def test_an_hour_keeps_a_bounded_number_of_queries(self, queries: Any) -> None:
        from product_search.domain.analytics import MAX_QUERIES_PER_HOUR

        for _ in range(3):
            await queries.record("popular", 1, self.NOW)
        for n in range(MAX_QUERIES_PER_HOUR + 50):
            await queries.record(f"q{n}", 1, self.NOW)
        found = await queries.top(self.NOW, 1, MAX_QUERIES_PER_HOUR * 2)
        assert len(found.frequent) <= MAX_QUERIES_PER_HOUR
        assert found.frequent[0].query == "popular" and found.frequent[0].count == 3
