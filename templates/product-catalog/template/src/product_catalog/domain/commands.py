"""What callers ask the catalog to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from product_catalog.domain.model import Product


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class CreateProduct(Command):
    product: Product
    """The new product as the caller describes it (no id yet: the store gives it one)."""


@dataclass(frozen=True)
class UpdateProduct(Command):
    product_id: int
    name: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    description: str | None = None
    category: str | None = None
    brand: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class DeleteProduct(Command):
    product_id: int


@dataclass(frozen=True)
class AddReview(Command):
    product_id: int
    user_id: int
    author_id: int
    author_is_admin: bool
    rating: int
    comment: str | None
    authorization: str
    """The caller's bearer header, forwarded to user-auth (GET /api/users/{id} needs one)."""


@dataclass(frozen=True)
class EvictProduct(Command):
    """Stock changed elsewhere (InventoryUpdated): the cached view is stale."""

    product_id: int


@dataclass(frozen=True)
class StorePendingReviews(Command):
    """Copy reviews recorded in MySQL but not yet in Mongo (after a crash in between)."""

    older_than_s: float = 5.0
