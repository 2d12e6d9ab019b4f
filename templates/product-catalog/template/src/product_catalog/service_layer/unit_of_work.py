"""One MySQL transaction per command; events recorded in it reach the outbox on commit.

The machinery is the kit's (`ecomkit.unit_of_work`, which publishes each event contract
through its own topic and key); this module says which repositories.
"""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.contracts import Contract
from sqlalchemy.ext.asyncio import AsyncSession

from product_catalog.adapters.repositories import (
    MysqlProductRepository,
    MysqlReviewLedger,
    ProductRepository,
    ReviewLedger,
)

SOURCE = "product-catalog"


class UnitOfWork(kit.UnitOfWork[Contract]):
    products: ProductRepository
    reviews: ReviewLedger


class MysqlUnitOfWork(kit.SqlRepositories[Contract], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.products = MysqlProductRepository(session)
        self.reviews = MysqlReviewLedger(session)
