"""What the consumer and the API ask the service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RecordOrderPlaced:
    """An order's lines (OrderCreated): they count once the order is paid."""

    order_id: int
    user_id: int
    product_ids: tuple[int, ...]


@dataclass(frozen=True)
class RecordOrderPaid:
    order_id: int
    user_id: int


@dataclass(frozen=True)
class RecordReview:
    user_id: int
    product_id: int
    rating: int


@dataclass(frozen=True)
class RecordStock:
    """The product's available stock as of `at` (an older report changes nothing)."""

    product_id: int
    available: int
    at: datetime


@dataclass(frozen=True)
class TrainModel:
    pass


@dataclass(frozen=True)
class RecommendForUser:
    user_id: int
    k: int


@dataclass(frozen=True)
class SimilarProducts:
    product_id: int
    k: int
