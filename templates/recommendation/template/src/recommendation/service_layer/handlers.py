"""One handler per command (verb_noun); the reads are views (service_layer/views.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecomkit.contracts import OrderCreated, OrderPaid, ReviewAdded

from recommendation.domain import commands
from recommendation.domain.interest import interactions_of
from recommendation.domain.results import TrainingReport
from recommendation.domain.similarity import ItemSimilarity
from recommendation.service_layer.models import CurrentModel
from recommendation.service_layer.ports import InteractionRepository
from recommendation.service_layer.unit_of_work import UnitOfWork


@dataclass
class Dependencies:
    uow: Callable[[], UnitOfWork]
    current: CurrentModel = field(default_factory=CurrentModel)


async def _record(
    deps: Dependencies, write: Callable[[InteractionRepository], Awaitable[None]]
) -> None:
    async with deps.uow() as uow:
        await write(uow.interactions)
        await uow.commit()


async def record_order_placed(event: OrderCreated, deps: Dependencies) -> None:
    """An order's lines: they count once the order is paid."""
    products = tuple(line.product_id for line in event.items)
    await _record(deps, lambda repo: repo.add_order_lines(event.order_id, event.user_id, products))


async def record_order_paid(event: OrderPaid, deps: Dependencies) -> None:
    await _record(deps, lambda repo: repo.mark_paid(event.order_id, event.user_id))


async def record_review(event: ReviewAdded, deps: Dependencies) -> None:
    await _record(deps, lambda repo: repo.put_review(event.user_id, event.product_id, event.rating))


async def record_stock(cmd: commands.RecordStock, deps: Dependencies) -> None:
    await _record(deps, lambda repo: repo.put_stock(cmd.product_id, cmd.available, cmd.at))


async def train_model(cmd: commands.TrainModel, deps: Dependencies) -> TrainingReport:
    async with deps.uow() as uow:
        interactions = interactions_of(
            await uow.interactions.purchases(), await uow.interactions.reviews()
        )
    started = time.perf_counter()
    # CPU-bound: off the event loop, so requests are still answered (from the current
    # model, more slowly: the thread shares the GIL) while it runs.
    model = await asyncio.to_thread(ItemSimilarity.train, interactions)
    trained_at = datetime.now(UTC)
    deps.current.replace(model, trained_at)
    return TrainingReport(
        trained_at=trained_at,
        interactions=len(interactions),
        users=len({one.user_id for one in interactions}),
        products=model.products,
        seconds=round(time.perf_counter() - started, 3),
    )


HANDLERS: dict[type[Any], Callable[..., Any]] = {
    OrderCreated: record_order_placed,
    OrderPaid: record_order_paid,
    ReviewAdded: record_review,
    commands.RecordStock: record_stock,
    commands.TrainModel: train_model,
}
