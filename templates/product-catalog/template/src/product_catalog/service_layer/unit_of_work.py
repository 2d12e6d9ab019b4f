"""One MySQL transaction per command; events recorded in it reach the outbox on commit.

The machinery is the kit's (`ecomkit.unit_of_work`); this module says which repositories
and how events look.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.events import Event as OutboxEvent
from sqlalchemy.ext.asyncio import AsyncSession

from product_catalog.adapters.repositories import (
    MysqlProductRepository,
    MysqlReviewLedger,
    ProductRepository,
    ReviewLedger,
)
from product_catalog.domain.events import Event

SOURCE = "product-catalog"


class UnitOfWork(kit.UnitOfWork[Event]):
    products: ProductRepository
    reviews: ReviewLedger


class MysqlUnitOfWork(kit.SqlRepositories[Event], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.products = MysqlProductRepository(session)
        self.reviews = MysqlReviewLedger(session)

    def outbox_event(self, event: Event) -> OutboxEvent:
        return OutboxEvent(
            type=type(event).__name__,
            topic=event.topic,
            key=event.key,
            subject=event.key,
            data=event.data,
            aggregate_type="product",
        )
