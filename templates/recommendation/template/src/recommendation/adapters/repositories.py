"""The interaction store on PostgreSQL: every write an upsert, so repeating one is harmless
(the inbox already keeps a redelivered event out; this keeps replays honest too)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from recommendation.adapters.tables import order_lines, paid_orders, product_stock, reviews


class PostgresInteractionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_order_lines(
        self, order_id: int, user_id: int, product_ids: Sequence[int]
    ) -> None:
        rows = [
            {"order_id": order_id, "product_id": p, "user_id": user_id}
            for p in dict.fromkeys(product_ids)
        ]
        if rows:
            await self.session.execute(insert(order_lines).values(rows).on_conflict_do_nothing())

    async def mark_paid(self, order_id: int, user_id: int) -> None:
        row = {"order_id": order_id, "user_id": user_id, "paid_at": func.now()}
        await self.session.execute(insert(paid_orders).values(row).on_conflict_do_nothing())

    async def put_review(self, user_id: int, product_id: int, rating: int) -> None:
        row = {"user_id": user_id, "product_id": product_id, "rating": rating}
        upsert = insert(reviews).values(row)
        await self.session.execute(
            upsert.on_conflict_do_update(
                index_elements=[reviews.c.user_id, reviews.c.product_id],
                set_={"rating": upsert.excluded.rating},
            )
        )

    async def put_stock(self, product_id: int, available: int, at: datetime) -> None:
        upsert = insert(product_stock).values(
            product_id=product_id, available=available, reported_at=at
        )
        await self.session.execute(
            upsert.on_conflict_do_update(
                index_elements=[product_stock.c.product_id],
                set_={"available": upsert.excluded.available, "reported_at": at},
                where=product_stock.c.reported_at < upsert.excluded.reported_at,
            )
        )

    async def purchases(self, user_id: int | None = None) -> list[tuple[int, int]]:
        query = (
            select(order_lines.c.user_id, order_lines.c.product_id)
            .join(paid_orders, paid_orders.c.order_id == order_lines.c.order_id)
            .distinct()
            .order_by(order_lines.c.user_id, order_lines.c.product_id)
        )
        if user_id is not None:
            query = query.where(order_lines.c.user_id == user_id)
        return [(int(u), int(p)) for u, p in (await self.session.execute(query)).all()]

    async def reviews(self, user_id: int | None = None) -> list[tuple[int, int, int]]:
        query = select(reviews.c.user_id, reviews.c.product_id, reviews.c.rating).order_by(
            reviews.c.user_id, reviews.c.product_id
        )
        if user_id is not None:
            query = query.where(reviews.c.user_id == user_id)
        rows = (await self.session.execute(query)).all()
        return [(int(u), int(p), int(r)) for u, p, r in rows]

    async def out_of_stock(self) -> set[int]:
        query = select(product_stock.c.product_id).where(product_stock.c.available <= 0)
        return {int(p) for p in (await self.session.scalars(query)).all()}
