"""Read side: recommendations are queries, so they do not go through commands (nothing
changes), as every service's reads."""

from __future__ import annotations

from recommendation.domain.interest import interactions_of
from recommendation.domain.results import Recommendations
from recommendation.domain.similarity import user_weights
from recommendation.service_layer.messagebus import MessageBus


async def recommended_for(bus: MessageBus, user_id: int, k: int) -> Recommendations:
    """From the model, but with the user's history and the stock read now: what was just
    bought or just sold out is left out before the next training."""
    async with bus.deps.uow() as uow:
        history = user_weights(
            interactions_of(
                await uow.interactions.purchases(user_id),
                await uow.interactions.reviews(user_id),
            )
        ).get(user_id, {})
        out_of_stock = await uow.interactions.out_of_stock()
    current = bus.deps.current
    known = any(product in current.model.neighbours for product in history)
    chosen = current.model.recommend(history, k, exclude=out_of_stock)
    return Recommendations(chosen, not known, current.trained_at)


async def similar_to(bus: MessageBus, product_id: int, k: int) -> Recommendations:
    async with bus.deps.uow() as uow:
        out_of_stock = await uow.interactions.out_of_stock()
    current = bus.deps.current
    chosen = current.model.similar(product_id, k, exclude=out_of_stock)
    return Recommendations(chosen, product_id not in current.model.neighbours, current.trained_at)
