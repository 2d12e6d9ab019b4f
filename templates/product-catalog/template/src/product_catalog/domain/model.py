"""Products, reviews and ratings; plain Python, no framework imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

MIN_RATING, MAX_RATING = 1, 5


@dataclass
class Product:
    sku: str
    name: str
    price: Decimal
    currency: str = "USD"
    description: str | None = None
    category: str | None = None
    brand: str | None = None
    image_url: str | None = None
    active: bool = True
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Raised by one on every stored change: search orders ProductChanged events by it.
    version: int = 1


@dataclass(frozen=True)
class Review:
    id: str
    product_id: int
    user_id: int
    rating: int
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class Rating:
    product_id: int
    average: float
    count: int

    @classmethod
    def of(cls, product_id: int, ratings: list[int]) -> Rating:
        """Computed here, not in the database: FerretDB has no `$avg` accumulator."""
        if not ratings:
            return cls(product_id, 0.0, 0)
        return cls(product_id, round(sum(ratings) / len(ratings), 2), len(ratings))
