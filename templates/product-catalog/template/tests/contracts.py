"""Contract tests of the storage ports, run against the fakes (here) and the real
MySQL/Mongo adapters (the repository's integration suite)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from product_catalog.adapters.mongo import ReviewStore
from product_catalog.domain.errors import SkuTaken
from product_catalog.domain.model import Product, Review
from product_catalog.service_layer.unit_of_work import UnitOfWork


def a_product(name: str = "Widget") -> Product:
    return Product(sku="sku-" + uuid.uuid4().hex[:12], name=name, price=Decimal("9.99"))


def a_review(product_id: int, rating: int, at: datetime) -> Review:
    return Review(str(uuid.uuid4()), product_id, 1, rating, "fine", at)


class UnitOfWorkContract:
    """Subclasses provide the `uow` fixture: a factory of units of work on one store."""

    async def _add(self, uow: Callable[[], UnitOfWork], product: Product) -> Product:
        async with uow() as work:
            await work.products.add(product)
            await work.commit()
        return product

    async def test_product_round_trip(self, uow: Callable[[], UnitOfWork]) -> None:
        product = await self._add(uow, a_product())
        async with uow() as work:
            found = await work.products.get(product.id or 0)
        assert found is not None and found.sku == product.sku
        assert found.price == Decimal("9.99") and found.currency == "USD" and found.active
        assert found.created_at is not None

    async def test_duplicate_sku(self, uow: Callable[[], UnitOfWork]) -> None:
        product = await self._add(uow, a_product())
        with pytest.raises(SkuTaken):
            await self._add(uow, Product(sku=product.sku, name="x", price=Decimal(1)))

    async def test_save_and_soft_delete(self, uow: Callable[[], UnitOfWork]) -> None:
        product = await self._add(uow, a_product())
        product.name, product.price, product.brand = "Renamed", Decimal("1.50"), "Acme"
        async with uow() as work:
            await work.products.save(product)
            await work.commit()
        async with uow() as work:
            found = await work.products.get(product.id or 0)
            assert found is not None and found.name == "Renamed"
            assert found.price == Decimal("1.50") and found.brand == "Acme"
            assert found.version == 2 == product.version  # each save raises it by one
            found.active = False
            await work.products.save(found)
            await work.commit()
        async with uow() as work:
            assert await work.products.get(product.id or 0) is None

    async def test_rollback_without_commit(self, uow: Callable[[], UnitOfWork]) -> None:
        product = a_product()
        async with uow() as work:
            await work.products.add(product)
        async with uow() as work:
            assert await work.products.get(product.id or 0) is None

    async def test_list_with_name_search(self, uow: Callable[[], UnitOfWork]) -> None:
        marker = uuid.uuid4().hex[:8]
        for name in (f"red {marker} 100%", f"blue {marker}", "other"):
            await self._add(uow, a_product(name))
        async with uow() as work:
            found, total = await work.products.list(offset=0, limit=10, name=marker)
            percent, _ = await work.products.list(offset=0, limit=10, name=f"{marker} 100%")
            wildcard, _ = await work.products.list(offset=0, limit=10, name=f"{marker}%")
        assert total == 2 and [p.name for p in found] == [f"red {marker} 100%", f"blue {marker}"]
        assert len(percent) == 1 and wildcard == []  # % is a character, not a wildcard

    async def test_review_ledger(self, uow: Callable[[], UnitOfWork]) -> None:
        product = await self._add(uow, a_product())
        review = a_review(product.id or 0, 4, datetime(2025, 1, 1))
        async with uow() as work:
            await work.reviews.add(review)
            await work.commit()
        async with uow() as work:
            pending = await work.reviews.unstored(older_than_s=0, limit=1000)
            assert review.id in {r.id for r in pending}
            assert await work.reviews.unstored(older_than_s=3600) == []
            await work.reviews.mark_stored(review.id)
            await work.commit()
        async with uow() as work:
            pending = await work.reviews.unstored(older_than_s=0, limit=1000)
        assert review.id not in {r.id for r in pending}


class ReviewStoreContract:
    @pytest.fixture
    def store(self) -> ReviewStore:
        raise NotImplementedError

    async def test_upsert_is_idempotent_and_listed_newest_first(self, store: ReviewStore) -> None:
        product_id = uuid.uuid4().int % 10**9 + 10**9
        old = a_review(product_id, 2, datetime(2025, 1, 1))
        new = a_review(product_id, 5, datetime(2025, 1, 2))
        for review in (old, new, old):
            await store.upsert(review)
        listed = await store.for_product(product_id, offset=0, limit=10)
        assert [r.id for r in listed] == [new.id, old.id]
        assert listed[1] == old
        assert sorted(await store.ratings(product_id)) == [2, 5]
        assert [r.id for r in await store.for_product(product_id, offset=1, limit=1)] == [old.id]
        assert await store.ratings(product_id + 1) == []
