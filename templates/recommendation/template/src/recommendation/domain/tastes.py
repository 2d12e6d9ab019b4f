"""A generated interaction data set: shoppers with tastes, a catalog with best-sellers.

The model (seeded, so the same seed gives the same data set):

- The catalog has `products` products in `categories` categories (product p is in category
  p mod categories). Within the catalog, product p's appeal is 1 / (rank + 1) ** 0.8 for a
  random rank: a few best-sellers, a long tail (Zipf-like, as shop sales are).
- Each shopper likes 1 to 3 categories, with random weights (their taste), and makes
  between 5 and 40 purchases (geometric, mean about 15).
- Each purchase is, with probability `taste_share`, a product of a liked category (the
  category by the taste's weights, the product by appeal within it), and otherwise any
  product by appeal (gifts, impulse, noise). A shopper buys a product at most once.

So popularity alone is a fair baseline (appeal is real), and a model that sees which
products the same shoppers buy can do better by finding the taste.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from recommendation.domain.similarity import Interaction


@dataclass(frozen=True)
class Tastes:
    users: int = 1000
    products: int = 400
    categories: int = 16
    taste_share: float = 0.8
    seed: int = 7


def generate(model: Tastes) -> list[list[Interaction]]:
    """Each user's purchases, in the order made."""
    rng = random.Random(model.seed)
    ranks = list(range(model.products))
    rng.shuffle(ranks)
    appeal = [1.0 / (rank + 1) ** 0.8 for rank in ranks]
    by_category = [
        [p for p in range(model.products) if p % model.categories == c]
        for c in range(model.categories)
    ]
    everything = list(range(model.products))
    histories = []
    for user in range(1, model.users + 1):
        liked = rng.sample(range(model.categories), rng.randint(1, 3))
        taste = [rng.random() + 0.2 for _ in liked]
        purchases = min(40, 5 + int(rng.expovariate(1 / 10)))
        bought: list[int] = []
        for _ in range(purchases * 3):  # a few tries to find products not bought yet
            if len(bought) == purchases:
                break
            if rng.random() < model.taste_share:
                pool = by_category[rng.choices(liked, taste)[0]]
            else:
                pool = everything
            product = rng.choices(pool, [appeal[p] for p in pool])[0]
            if product not in bought:
                bought.append(product)
        histories.append([Interaction(user, product) for product in bought])
    return histories
