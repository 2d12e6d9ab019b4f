"""How much a purchase and a review say about a shopper's interest in a product."""

from __future__ import annotations

from collections.abc import Iterable

from recommendation.domain.similarity import Interaction

PURCHASE_WEIGHT = 1.0


def review_weight(rating: int) -> float:
    """5 stars 1.0, 4 stars 0.67, 3 stars 0.33; 1 or 2 stars say nothing good (0)."""
    return max(0, rating - 2) / 3


def interactions_of(
    purchases: Iterable[tuple[int, int]], reviews: Iterable[tuple[int, int, int]]
) -> list[Interaction]:
    """(user, product) purchases and (user, product, rating) reviews as weighted interest."""
    bought = [Interaction(user, product, PURCHASE_WEIGHT) for user, product in purchases]
    reviewed = [Interaction(u, p, review_weight(rating)) for u, p, rating in reviews]
    return bought + [one for one in reviewed if one.weight > 0]
