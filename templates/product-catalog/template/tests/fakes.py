"""In-memory stand-ins for the adapters; contracts.py keeps them honest."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ecomkit.contracts import Contract
from ecomkit.errors import UpstreamUnavailable
from ecomkit.testing import InMemoryUnitOfWork

from product_catalog.adapters.mongo import ReviewStore
from product_catalog.adapters.repositories import ProductRepository, ReviewLedger
from product_catalog.domain.model import Product, Review
from product_catalog.service_layer.ports import CacheLevel
from product_catalog.service_layer.unit_of_work import UnitOfWork


@dataclass
class FakeStore:
    """The committed state of the "MySQL database", shared by every unit of work."""

    products: dict[int, Product] = field(default_factory=dict)
    ledger: dict[str, tuple[Review, datetime, datetime | None]] = field(default_factory=dict)
    outbox: list[Contract] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime(2025, 1, 1))


class FakeProductRepository(ProductRepository):
    def __init__(self, products: dict[int, Product], now: datetime) -> None:
        self.products, self.now = products, now

    async def add(self, product: Product) -> Product:
        from product_catalog.domain.errors import SkuTaken

        if any(p.sku == product.sku for p in self.products.values()):
            raise SkuTaken(product.sku)
        product.id = max(self.products, default=0) + 1
        product.created_at = product.updated_at = self.now
        self.products[product.id] = copy.deepcopy(product)
        return product

    async def get(self, product_id: int) -> Product | None:
        product = self.products.get(product_id)
        return copy.deepcopy(product) if product and product.active else None

    async def save(self, product: Product) -> None:
        assert product.id is not None
        product.version = self.products[product.id].version + 1
        self.products[product.id] = copy.deepcopy(product)

    async def list(
        self, *, offset: int, limit: int, name: str | None = None
    ) -> tuple[list[Product], int]:
        found = [
            p
            for _, p in sorted(self.products.items())
            if p.active and (not name or name.lower() in p.name.lower())
        ]
        return copy.deepcopy(found[offset : offset + limit]), len(found)


class FakeReviewLedger(ReviewLedger):
    def __init__(
        self, rows: dict[str, tuple[Review, datetime, datetime | None]], now: datetime
    ) -> None:
        self.rows, self.now = rows, now

    async def add(self, review: Review) -> None:
        self.rows[review.id] = (review, self.now, None)

    async def unstored(self, *, older_than_s: float, limit: int = 100) -> list[Review]:
        cutoff = self.now - timedelta(seconds=older_than_s)
        pending = [(at, r) for r, at, stored in self.rows.values() if not stored and at <= cutoff]
        return [r for _, r in sorted(pending, key=lambda item: item[0])][:limit]

    async def mark_stored(self, review_id: str) -> None:
        review, at, _ = self.rows[review_id]
        self.rows[review_id] = (review, at, self.now)


class FakeUnitOfWork(InMemoryUnitOfWork[FakeStore, Contract], UnitOfWork):
    def begin(self) -> None:
        self._products = copy.deepcopy(self.store.products)
        self._ledger = dict(self.store.ledger)
        self.products = FakeProductRepository(self._products, self.store.now)
        self.reviews = FakeReviewLedger(self._ledger, self.store.now)

    def apply(self, events: list[Contract]) -> None:
        self.store.products, self.store.ledger = self._products, self._ledger
        self.store.outbox += events


class FakeReviewStore(ReviewStore):
    def __init__(self) -> None:
        self.documents: dict[str, Review] = {}
        self.fail_next = False

    async def upsert(self, review: Review) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("mongo went away")
        self.documents[review.id] = review

    async def for_product(self, product_id: int, *, offset: int, limit: int) -> list[Review]:
        found = [r for r in self.documents.values() if r.product_id == product_id]
        found.sort(key=lambda r: (-r.created_at.timestamp(), r.id))
        return found[offset : offset + limit]

    async def ratings(self, product_id: int) -> list[int]:
        return [r.rating for r in self.documents.values() if r.product_id == product_id]


class FakeProductCache:
    """One level is enough to see hits, misses and invalidation."""

    def __init__(self) -> None:
        self.values: dict[int, dict[str, Any]] = {}

    async def get(self, product_id: int) -> tuple[dict[str, Any] | None, CacheLevel]:
        value = self.values.get(product_id)
        return (value, "l1") if value is not None else (None, None)

    async def set(self, product_id: int, view: dict[str, Any]) -> None:
        self.values[product_id] = view

    async def invalidate(self, product_id: int) -> None:
        self.values.pop(product_id, None)


class FakeUserDirectory:
    def __init__(self, known: set[int] | None = None) -> None:
        self.known = known if known is not None else {1, 2}
        self.down = False
        self.calls: list[tuple[int, str]] = []

    async def exists(self, user_id: int, *, authorization: str) -> bool:
        self.calls.append((user_id, authorization))
        if self.down:
            raise UpstreamUnavailable("user-auth")
        return user_id in self.known


class FakeStockLookup:
    def __init__(self) -> None:
        self.levels: dict[int, int] = {}
        self.running = True

    async def available(self, product_id: int) -> int | None:
        return self.levels.get(product_id, 0) if self.running else None
