"""What callers ask the catalog to do (imperative names).

A product's fields are declared once, here, with what a valid value is: the API takes
`NewProduct` and `ProductChanges` as its bodies (pydantic checks them as they arrive, camelCase
on the wire), and the commands carry them on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from ecomkit.declarations import Command
from ecomkit.schemas import CamelModel
from pydantic import Field, StringConstraints

from product_catalog.domain.model import Product

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


class ProductChanges(CamelModel):
    """The PUT body: the fields to change; the absent ones stay as they are."""

    name: Name | None = None
    price: Price | None = None
    currency: Currency | None = None
    description: Description | None = None
    category: Category | None = None
    brand: Brand | None = None
    image_url: ImageUrl | None = None


class NewProduct(ProductChanges):
    """The POST body: the same fields, the name and price required, and the SKU."""

    sku: Sku
    name: Name
    price: Price
    currency: Currency = "USD"


class CreateProduct(Command):
    product: Product
    """The new product as the caller describes it (no id yet: the store gives it one)."""


class UpdateProduct(Command):
    product_id: int
    changes: ProductChanges


class DeleteProduct(Command):
    product_id: int


class AddReview(Command):
    product_id: int
    user_id: int
    author_id: int
    author_is_admin: bool
    rating: int
    comment: str | None
    authorization: str
    """The caller's bearer header, forwarded to user-auth (GET /api/users/{id} needs one)."""


class StorePendingReviews(Command):
    """Copy reviews recorded in MySQL but not yet in Mongo (after a crash in between)."""

    older_than_s: float = 5.0
