"""Item-item similarity (cosine over who interacted with what), with popularity behind it.

Why item-item and not ALS: the catalogs this platform serves are small (hundreds to tens
of thousands of products), the model must train in seconds on one core without a compiled
dependency, and its answers are explainable ("bought with X"). Offline evaluation
(domain/evaluation.py) measures it against the popularity baseline.

A user's score for product j is the sum, over the products i in the user's history, of
weight(user, i) * similarity(i, j); similarity(i, j) is the cosine of the two products'
columns of the user x product weight matrix, shrunk towards 0 when few users share them
(`SHRINK`), and only each product's `NEIGHBOURS` closest are kept.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations

NEIGHBOURS = 50
SHRINK = 2.0


@dataclass(frozen=True)
class Interaction:
    """One user's interest in one product: a purchase, a review; weights add up."""

    user_id: int
    product_id: int
    weight: float = 1.0


def user_weights(interactions: Iterable[Interaction]) -> dict[int, dict[int, float]]:
    """user -> product -> summed weight (interactions with no weight are dropped)."""
    weights: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for one in interactions:
        if one.weight > 0:
            weights[one.user_id][one.product_id] += one.weight
    return {user: dict(products) for user, products in weights.items()}


@dataclass(frozen=True)
class Popularity:
    """Products by how many users interacted with them (ties: the lower id first)."""

    ranking: tuple[int, ...] = ()

    @classmethod
    def train(cls, weights: Mapping[int, Mapping[int, float]]) -> Popularity:
        users_per_product: dict[int, int] = defaultdict(int)
        for products in weights.values():
            for product in products:
                users_per_product[product] += 1
        return cls(tuple(sorted(users_per_product, key=lambda p: (-users_per_product[p], p))))

    def top(self, k: int, exclude: Collection[int] = ()) -> list[int]:
        chosen: list[int] = []
        for product in self.ranking:
            if len(chosen) == k:
                break
            if product not in exclude:
                chosen.append(product)
        return chosen


@dataclass(frozen=True)
class ItemSimilarity:
    """product -> its closest products with their similarity, best first."""

    neighbours: Mapping[int, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    popularity: Popularity = field(default_factory=Popularity)

    @classmethod
    def train(cls, interactions: Iterable[Interaction]) -> ItemSimilarity:
        weights = user_weights(interactions)
        norms: dict[int, float] = defaultdict(float)
        dots: dict[tuple[int, int], float] = defaultdict(float)
        shared: dict[tuple[int, int], int] = defaultdict(int)
        for products in weights.values():
            for product, weight in products.items():
                norms[product] += weight * weight
            for a, b in combinations(sorted(products), 2):
                dots[a, b] += products[a] * products[b]
                shared[a, b] += 1
        similar: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for (a, b), dot in dots.items():
            cosine = dot / math.sqrt(norms[a] * norms[b])
            score = cosine * shared[a, b] / (shared[a, b] + SHRINK)
            similar[a].append((b, score))
            similar[b].append((a, score))
        neighbours = {
            product: tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:NEIGHBOURS])
            for product, pairs in similar.items()
        }
        return cls(neighbours, Popularity.train(weights))

    @property
    def products(self) -> int:
        return len(self.popularity.ranking)

    def recommend(
        self, history: Mapping[int, float], k: int, exclude: Collection[int] = ()
    ) -> list[int]:
        """The k best products for a user with this history, none of `exclude` nor of the
        history itself; popular products fill what similarity cannot (cold start)."""
        scores: dict[int, float] = defaultdict(float)
        for product, weight in history.items():
            for other, similarity in self.neighbours.get(product, ()):
                scores[other] += weight * similarity
        banned = set(exclude) | set(history)
        ranked = [p for p in sorted(scores, key=lambda p: (-scores[p], p)) if p not in banned]
        return _filled(ranked[:k], k, self.popularity, banned)

    def similar(self, product_id: int, k: int, exclude: Collection[int] = ()) -> list[int]:
        """Products most like `product_id`; popular ones for a product nobody bought yet."""
        banned = set(exclude) | {product_id}
        ranked = [p for p, _ in self.neighbours.get(product_id, ()) if p not in banned]
        return _filled(ranked[:k], k, self.popularity, banned)


def _filled(chosen: list[int], k: int, popularity: Popularity, banned: set[int]) -> list[int]:
    if len(chosen) >= k:
        return chosen
    return chosen + popularity.top(k - len(chosen), banned | set(chosen))
