"""The one store port: interactions, order lines waiting for payment, stock.

PostgreSQL in production (adapters/repositories.py), a dict in unit tests (tests/fakes.py);
tests/contracts.py runs the same tests against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class InteractionRepository(Protocol):
    async def add_order_lines(
        self, order_id: int, user_id: int, product_ids: Sequence[int]
    ) -> None:
        """Remember what an order holds; adding the same lines again changes nothing."""

    async def mark_paid(self, order_id: int, user_id: int) -> None:
        """The order's lines become purchases (whether its lines arrived yet or not)."""

    async def put_review(self, user_id: int, product_id: int, rating: int) -> None:
        """The user's latest rating of the product."""

    async def put_stock(self, product_id: int, available: int, at: datetime) -> None:
        """Keep the stock reported at `at` unless a later report is already kept."""

    async def purchases(self, user_id: int | None = None) -> list[tuple[int, int]]:
        """(user, product) of paid orders, each pair once; one user's, or everyone's."""
        ...

    async def reviews(self, user_id: int | None = None) -> list[tuple[int, int, int]]:
        """(user, product, rating); one user's, or everyone's."""
        ...

    async def out_of_stock(self) -> set[int]:
        """Products whose latest reported available stock is 0 (unknown ones are not)."""
        ...
