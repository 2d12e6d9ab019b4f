"""An in-memory interaction store; contracts.py keeps it honest against PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ecomkit.contracts import Contract

from recommendation.service_layer.unit_of_work import UnitOfWork


@dataclass
class FakeStore:
    lines: dict[tuple[int, int], int] = field(default_factory=dict)  # (order, product) -> user
    paid: set[int] = field(default_factory=set)
    ratings: dict[tuple[int, int], int] = field(default_factory=dict)
    stock: dict[int, tuple[int, datetime]] = field(default_factory=dict)


class FakeInteractionRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add_order_lines(
        self, order_id: int, user_id: int, product_ids: Sequence[int]
    ) -> None:
        for product in product_ids:
            self.store.lines.setdefault((order_id, product), user_id)

    async def mark_paid(self, order_id: int, user_id: int) -> None:
        self.store.paid.add(order_id)

    async def put_review(self, user_id: int, product_id: int, rating: int) -> None:
        self.store.ratings[user_id, product_id] = rating

    async def put_stock(self, product_id: int, available: int, at: datetime) -> None:
        kept = self.store.stock.get(product_id)
        if kept is None or kept[1] < at:
            self.store.stock[product_id] = (available, at)

    async def purchases(self, user_id: int | None = None) -> list[tuple[int, int]]:
        pairs = {
            (user, product)
            for (order, product), user in self.store.lines.items()
            if order in self.store.paid and user_id in (None, user)
        }
        return sorted(pairs)

    async def reviews(self, user_id: int | None = None) -> list[tuple[int, int, int]]:
        return sorted(
            (user, product, rating)
            for (user, product), rating in self.store.ratings.items()
            if user_id in (None, user)
        )

    async def out_of_stock(self) -> set[int]:
        return {product for product, (available, _) in self.store.stock.items() if available <= 0}


class FakeUnitOfWork(UnitOfWork):
    """Writes straight to the store (each fake write is whole; nothing to roll back)."""

    def __init__(self, store: FakeStore) -> None:
        self.interactions = FakeInteractionRepository(store)
        self.committed = False

    def add_event(self, event: Contract) -> None:
        raise AssertionError("the recommendation service publishes no events")

    async def commit(self) -> None:
        self.committed = True

    async def rollback(self) -> None:
        pass


UowFactory = Callable[[], FakeUnitOfWork]  # what bootstrap(uow=) takes
