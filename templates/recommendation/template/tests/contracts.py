"""Contract tests of the interaction store, run against the fake (test_fake_store.py) and
against PostgreSQL (the repository's tests/integration/test_recommendation_service.py),
so the fake cannot drift from the real store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from recommendation.service_layer.ports import InteractionRepository

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def an_id() -> int:
    return random.randint(10**9, 10**12)


class InteractionRepositoryContract:
    """Subclasses provide `repo`: an empty store, or one where ids are random enough."""

    @pytest.fixture
    def repo(self) -> InteractionRepository:
        raise NotImplementedError

    async def test_lines_count_once_the_order_is_paid_whichever_came_first(
        self, repo: InteractionRepository
    ) -> None:
        user, first, second = an_id(), an_id(), an_id()
        a, b = an_id(), an_id()
        await repo.add_order_lines(first, user, [a, b, a])
        assert await repo.purchases(user) == []
        await repo.mark_paid(first, user)
        await repo.mark_paid(second, user)  # paid before its lines arrive
        await repo.add_order_lines(second, user, [b])
        assert await repo.purchases(user) == sorted([(user, a), (user, b)])

    async def test_repeating_a_write_changes_nothing(self, repo: InteractionRepository) -> None:
        user, order, product = an_id(), an_id(), an_id()
        for _ in range(2):
            await repo.add_order_lines(order, user, [product])
            await repo.mark_paid(order, user)
            await repo.put_review(user, product, 4)
        assert await repo.purchases(user) == [(user, product)]
        assert await repo.reviews(user) == [(user, product, 4)]

    async def test_a_review_keeps_the_latest_rating(self, repo: InteractionRepository) -> None:
        user, product = an_id(), an_id()
        await repo.put_review(user, product, 2)
        await repo.put_review(user, product, 5)
        assert await repo.reviews(user) == [(user, product, 5)]
        assert (user, product, 5) in await repo.reviews()

    async def test_stock_follows_the_latest_report(self, repo: InteractionRepository) -> None:
        sold_out, restocked, late = an_id(), an_id(), an_id()
        await repo.put_stock(sold_out, 0, T0)
        await repo.put_stock(restocked, 0, T0)
        await repo.put_stock(restocked, 3, T0 + timedelta(seconds=1))
        await repo.put_stock(late, 0, T0 + timedelta(seconds=2))
        await repo.put_stock(late, 9, T0)  # an older report, arriving late
        out = await repo.out_of_stock()
        assert sold_out in out and late in out and restocked not in out
