"""HTTP request and response bodies (camelCase JSON, as in the plan's API)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from ecomkit.schemas import CamelModel, Id
from pydantic import Field, StringConstraints

from product_catalog.domain.model import MAX_RATING, MIN_RATING, Rating, Review

Sku = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Price = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Description = Annotated[str, Field(max_length=10_000)]
Category = Annotated[str, Field(min_length=1, max_length=100)]
# Shown and filtered on as written: trimmed, no control characters, never blank.
Brand = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(pattern=r"^[^\x00-\x1f\x7f]+$"),
]
ImageUrl = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=1024)]

class ProductCreate(CamelModel):
    sku: Sku
    name: Name
    price: Price
    currency: Currency = "USD"
    description: Description | None = None
    category: Category | None = None
    brand: Brand | None = None
    image_url: ImageUrl | None = None


class ProductUpdate(CamelModel):
    name: Name | None = None
    price: Price | None = None
    currency: Currency | None = None
    description: Description | None = None
    category: Category | None = None
    brand: Brand | None = None
    image_url: ImageUrl | None = None


class ProductResponse(CamelModel):
    id: int
    sku: str
    name: str
    description: str | None
    category: str | None
    brand: str | None = None
    price: str
    currency: str
    image_url: str | None
    active: bool
    created_at: str | None
    updated_at: str | None


class ProductWithStock(ProductResponse):
    stock: int | None
    stock_status: str


class ProductPage(CamelModel):
    items: list[ProductResponse]
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
