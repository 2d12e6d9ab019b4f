"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from typing import Annotated

from ecomkit.schemas import CamelModel, Id
from pydantic import Field

from product_catalog.domain.model import MAX_RATING, MIN_RATING, Rating, Review
from product_catalog.service_layer.handlers import ProductView


class ProductWithStock(ProductView):
    stock: int | None
    stock_status: str


class ProductPage(CamelModel):
    items: list[ProductView]
    page: int
    size: int
    total: int


class ReviewCreate(CamelModel):
    product_id: Id
    user_id: Id | None = Field(default=None, description="Defaults to the caller")
    rating: Annotated[int, Field(ge=MIN_RATING, le=MAX_RATING)]
    comment: Annotated[str, Field(max_length=2000)] | None = None


class ReviewResponse(CamelModel):
    id: str
    product_id: int
    user_id: int
    rating: int
    comment: str | None
    created_at: str

    @classmethod
    def of(cls, review: Review) -> ReviewResponse:
        return cls.copying(review, created_at=review.created_at.isoformat() + "Z")


class RatingResponse(CamelModel):
    product_id: int
    average: float
    count: int

    @classmethod
    def of(cls, rating: Rating) -> RatingResponse:
        return cls.copying(rating)
