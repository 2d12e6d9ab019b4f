"""Offline evaluation: a held-out split, precision/recall/nDCG at k, model vs popularity.

The split keeps each user's first purchases for training and holds out the last
`held_out` share (at least one): the question asked is the one production asks, "what
will this shopper buy next", not a random shuffle of the past.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from recommendation.domain.similarity import Interaction, ItemSimilarity, user_weights
from recommendation.domain.tastes import Tastes, generate


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    ndcg: float


@dataclass(frozen=True)
class Evaluation:
    k: int
    users: int
    products: int
    train_interactions: int
    test_interactions: int
    model: Scores
    popularity: Scores
    seed: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def split(
    histories: Sequence[Sequence[Interaction]], held_out: float = 0.2
) -> tuple[list[Interaction], dict[int, set[int]]]:
    """(training interactions, user -> held-out products)."""
    train: list[Interaction] = []
    test: dict[int, set[int]] = {}
    for history in histories:
        cut = len(history) - max(1, round(len(history) * held_out))
        train.extend(history[:cut])
        if cut < len(history):
            test[history[0].user_id] = {one.product_id for one in history[cut:]}
    return train, test


def scores_at(ranked: Sequence[int], relevant: set[int], k: int) -> Scores:
    hits = [1.0 if product in relevant else 0.0 for product in ranked[:k]]
    dcg = sum(hit / math.log2(rank + 2) for rank, hit in enumerate(hits))
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return Scores(sum(hits) / k, sum(hits) / len(relevant), dcg / ideal if ideal else 0.0)


def mean(scores: Sequence[Scores]) -> Scores:
    n = len(scores) or 1
    return Scores(
        round(sum(s.precision for s in scores) / n, 4),
        round(sum(s.recall for s in scores) / n, 4),
        round(sum(s.ndcg for s in scores) / n, 4),
    )


def evaluate(tastes: Tastes | None = None, k: int = 10) -> Evaluation:
    """Train on the first purchases of a generated data set, score the held-out ones."""
    tastes = tastes or Tastes()
    train, test = split(generate(tastes))
    model = ItemSimilarity.train(train)
    histories = user_weights(train)
    by_model, by_popularity = [], []
    for user, relevant in sorted(test.items()):
        history = histories.get(user, {})
        by_model.append(scores_at(model.recommend(history, k), relevant, k))
        popular = model.popularity.top(k, exclude=history.keys())
        by_popularity.append(scores_at(popular, relevant, k))
    return Evaluation(
        k=k,
        users=len(test),
        products=model.products,
        train_interactions=len(train),
        test_interactions=sum(len(r) for r in test.values()),
        model=mean(by_model),
        popularity=mean(by_popularity),
        seed=tastes.seed,
    )
