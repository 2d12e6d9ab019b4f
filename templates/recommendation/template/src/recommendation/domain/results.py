"""What training and the two questions answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TrainingReport:
    trained_at: datetime
    interactions: int
    users: int
    products: int
    seconds: float


@dataclass(frozen=True)
class Recommendations:
    product_ids: list[int]
    # True when the model knew nothing to go on (a new user or product): popular products.
    cold_start: bool
    trained_at: datetime | None
