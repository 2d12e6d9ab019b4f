"""A judged query set for product search, and nDCG@10 for both searches that shop had.

The catalog is generated (seeded, so every run judges the same products): each product is
a brand, a color, a material and a kind of thing, its name built from them (half the names
lead with the brand, as many shops write them; the others leave it to the brand field); its
description names another kind of thing as a distractor ("pairs well with our kettle").
Judgments come from those generated attributes only, never from a ranking:

- a query for a kind (plural or with a typo as typed) rates every product of that kind 1;
- a query with a color, material or brand rates the products with all of them 2, the
  products of that kind with another color, material or brand 1;
- a category word rates every product of the category 1, a brand alone every product of
  the brand.

Products only named in another's description are rated 0 (unrated). Scored with
OpenSearch's `_rank_eval` (`dcg`, k=10, normalized), and the old SQL `name LIKE '%q%'`
ordered by id (product-catalog's `?name=`) with the same formula here.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

SEED = 17
PRODUCTS = 2400
K = 10

# category -> kinds (singular); each a word the stemmer and the typo rules see whole.
CATEGORIES: dict[str, list[str]] = {
    "Footwear": ["sneaker", "boot", "sandal", "loafer"],
    "Clothing": ["shirt", "sweater", "hoodie", "jacket"],
    "Bags": ["backpack", "wallet", "handbag", "duffel"],
    "Kitchen": ["kettle", "mug", "skillet", "teapot"],
    "Audio": ["headphones", "speaker", "earbuds", "microphone"],
    "Lighting": ["lamp", "lantern", "chandelier", "bulb"],
    "Furniture": ["chair", "desk", "sofa", "bookshelf"],
    "Jewelry": ["watch", "bracelet", "necklace", "pendant"],
    "Sports": ["dumbbell", "racket", "helmet", "skateboard"],
    "Toys": ["puzzle", "kite", "robot", "doll"],
}
COLORS = ["red", "blue", "green", "black", "white", "grey", "yellow", "navy"]
MATERIALS = ["leather", "cotton", "wool", "steel", "bamboo", "ceramic", "glass", "canvas"]
BRANDS = ["Nordvik", "Altura", "Kestrel", "Brightwell", "Oakridge", "Lumora", "Vantago", "Sierrano"]
STYLES = ["classic", "slim", "compact", "deluxe", "everyday", "travel"]


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    description: str
    category: str
    kind: str
    color: str
    material: str
    price: float
    brand: str


@dataclass(frozen=True)
class Judged:
    """A query as a shopper types it and what it asks for (attributes, not words)."""

    text: str
    kind: str | None = None
    category: str | None = None
    color: str | None = None
    material: str | None = None
    brand: str | None = None

    def rating(self, product: Product) -> int:
        if self.category is not None:
            return 1 if product.category == self.category else 0
        if self.kind is None:  # a brand alone
            return 1 if product.brand == self.brand else 0
        if product.kind != self.kind:
            return 0
        wanted = [
            (self.color, product.color),
            (self.material, product.material),
            (self.brand, product.brand),
        ]
        if all(want is None or want == has for want, has in wanted):
            return 2 if self.color or self.material or self.brand else 1
        return 1


def catalog(count: int = PRODUCTS, seed: int = SEED) -> list[Product]:
    rng = random.Random(seed)
    kinds = [(category, kind) for category, kinds in CATEGORIES.items() for kind in kinds]
    products = []
    for n in range(count):
        category, kind = kinds[n % len(kinds)]
        color, material = rng.choice(COLORS), rng.choice(MATERIALS)
        other = rng.choice([k for _, k in kinds if k != kind])
        style = rng.choice(STYLES)
        brand = rng.choice(BRANDS)
        name = f"{color} {material} {kind}".capitalize()
        if rng.random() < 0.5:
            name = f"{brand} {color} {material} {kind}"
        description = f"A {style} {kind} in {material}. Pairs well with our {other}."
        price = round(rng.uniform(5, 400), 2)
        products.append(
            Product(n + 1, name, description, category, kind, color, material, price, brand)
        )
    return products


QUERIES: list[Judged] = [
    # one kind, as written
    *(Judged(k, kind=k) for k in ["wallet", "kettle", "lamp", "chair", "robot", "helmet"]),
    *(Judged(k, kind=k) for k in ["headphones", "skillet", "bracelet", "sandal"]),
    # plurals
    Judged("wallets", kind="wallet"), Judged("boots", kind="boot"),
    Judged("lamps", kind="lamp"), Judged("chairs", kind="chair"),
    Judged("mugs", kind="mug"), Judged("watches", kind="watch"),
    Judged("sneakers", kind="sneaker"), Judged("puzzles", kind="puzzle"),
    # typos
    Judged("walet", kind="wallet"), Judged("ketle", kind="kettle"),
    Judged("headphnes", kind="headphones"), Judged("backpak", kind="backpack"),
    Judged("sweatr", kind="sweater"), Judged("lantren", kind="lantern"),
    Judged("chiar", kind="chair"), Judged("braclet", kind="bracelet"),
    # several words
    Judged("red wallet", kind="wallet", color="red"),
    Judged("leather boots", kind="boot", material="leather"),
    Judged("black leather jacket", kind="jacket", color="black", material="leather"),
    Judged("blue cotton shirt", kind="shirt", color="blue", material="cotton"),
    Judged("ceramic mug", kind="mug", material="ceramic"),
    Judged("bamboo desk", kind="desk", material="bamboo"),
    Judged("steel kettle", kind="kettle", material="steel"),
    Judged("white sneakers", kind="sneaker", color="white"),
    Judged("green wool sweater", kind="sweater", color="green", material="wool"),
    Judged("glass teapot", kind="teapot", material="glass"),
    # category words
    Judged("footwear", category="Footwear"), Judged("kitchen", category="Kitchen"),
    Judged("lighting", category="Lighting"), Judged("furniture", category="Furniture"),
    Judged("audio", category="Audio"), Judged("toys", category="Toys"),
    # brands: alone, with a kind, with a typo
    Judged("nordvik", brand="Nordvik"), Judged("lumora", brand="Lumora"),
    Judged("kestrel kettle", kind="kettle", brand="Kestrel"),
    Judged("altura backpack", kind="backpack", brand="Altura"),
    Judged("vantago headphones", kind="headphones", brand="Vantago"),
    Judged("brightwel", brand="Brightwell"),
    Judged("oakrige chair", kind="chair", brand="Oakridge"),
    Judged("sierano boots", kind="boot", brand="Sierrano"),
]  # fmt: skip


def ratings(query: Judged, products: list[Product]) -> dict[int, int]:
    """Every product the query should find, with its grade (others are 0)."""
    return {p.id: r for p in products if (r := query.rating(p)) > 0}


def ndcg(found: list[int], rated: dict[int, int], k: int = K) -> float:
    """Normalized DCG@k as `_rank_eval`'s dcg computes it: (2^r - 1) / log2(rank + 1)."""

    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades[:k]))

    ideal = dcg(sorted(rated.values(), reverse=True))
    return dcg([rated.get(pid, 0) for pid in found]) / ideal if ideal else 0.0


def rank_eval_body(
    index: str, requests: dict[str, dict[str, Any]], judged: dict[str, dict[int, int]]
) -> dict[str, Any]:
    """One `_rank_eval` request: each query's search body and its rated documents."""
    return {
        "requests": [
            {
                "id": query_id,
                "request": body,
                "ratings": [
                    {"_index": index, "_id": str(pid), "rating": grade}
                    for pid, grade in judged[query_id].items()
                ],
            }
            for query_id, body in requests.items()
        ],
        "metric": {"dcg": {"k": K, "normalize": True}},
    }


# ---- the two searches, scored --------------------------------------------------------------


async def index_catalog(client: Any, alias: str, products: list[Product]) -> str:
    """The products in a new index behind `alias`, written as the indexer writes them;
    the concrete index's name."""
    from product_search.adapters.opensearch import OpenSearchIndex
    from product_search.domain.documents import IndexChange

    index = OpenSearchIndex(client, alias)
    await index.ensure_index()
    changes = [
        IndexChange(p.id, "product", 1, {
            "id": p.id, "sku": f"rel-{p.id}", "name": p.name, "description": p.description,
            "category": p.category, "brand": p.brand, "price": p.price, "currency": "USD",
            "image_url": None,
            "active": True, "created_at": None, "updated_at": None,
        })
        for p in products
    ]  # fmt: skip
    for start in range(0, len(changes), 500):
        outcomes = await index.write(changes[start : start + 500])
        assert not any(outcomes), outcomes
    await client.indices.refresh(index=alias)
    return sorted(await client.indices.get_alias(name=alias))[0]


async def search_ndcg(client: Any, alias: str, products: list[Product]) -> dict[str, float]:
    """nDCG@10 per query text of product-search's own query, by `_rank_eval`."""
    from product_search.domain.query import search_body
    from product_search.domain.search import SearchProducts

    index = sorted(await client.indices.get_alias(name=alias))[0]
    requests = {q.text: {"query": search_body(SearchProducts(q=q.text))["query"]} for q in QUERIES}
    judged = {q.text: ratings(q, products) for q in QUERIES}
    answer = await client.rank_eval(body=rank_eval_body(index, requests, judged), index=alias)
    if answer.get("failures"):
        raise AssertionError(f"_rank_eval failures: {answer['failures']}")
    return {text: float(detail["metric_score"]) for text, detail in answer["details"].items()}


def sql_contains_ndcg(mysql_database_url: str, products: list[Product]) -> dict[str, float]:
    """nDCG@10 per query of the catalog's `?name=` search (`name LIKE '%q%'`, by id) on
    MariaDB holding the same products."""
    import pymysql

    from ecomctl.migrate.url import parse_url

    url = parse_url(mysql_database_url)
    conn = pymysql.connect(
        host=url.host, port=url.port, user=url.user, password=url.password,
        database=url.database, autocommit=True,
    )  # fmt: skip
    scores = {}
    try:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO products (id, sku, name, description, category, price)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [(p.id, f"rel-{p.id}", p.name, p.description, p.category, p.price)
                 for p in products],
            )  # fmt: skip
            for query in QUERIES:
                escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                cursor.execute(
                    "SELECT id FROM products WHERE active AND name LIKE %s ORDER BY id LIMIT %s",
                    (f"%{escaped}%", K),
                )
                found = [int(row[0]) for row in cursor.fetchall()]
                scores[query.text] = ndcg(found, ratings(query, products))
    finally:
        conn.close()
    return scores


def mean(scores: dict[str, float]) -> float:
    return sum(scores.values()) / len(scores)
