"""Events the product catalog publishes (key: the product id).

Unlike every other event these payloads are camelCase on the wire (`productId`,
`createdAt`), as the catalog writes them today; the Python attributes are snake_case and
the aliases keep the wire as it is. Moving them to snake_case is a breaking change: a new
`schema_version` with an upcaster.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from ecomkit.contracts.base import Contract, Money
from ecomkit.contracts.topics import Topic


class _CatalogEvent(Contract):
    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )
    key_field: ClassVar[str] = "product_id"
    aggregate: ClassVar[str] = "product"

    product_id: int


class ReviewAdded(_CatalogEvent):
    topic: ClassVar[Topic] = Topic.REVIEW_ADDED

    review_id: str
    user_id: int
    rating: int
    comment: str | None
    created_at: datetime


class ProductChanged(_CatalogEvent):
    """The product as clients see it (the catalog's `product_view`), after a change."""

    topic: ClassVar[Topic] = Topic.PRODUCT_CHANGED

    change: Literal["created", "updated", "deleted"]
    id: int
    sku: str
    name: str
    description: str | None
    category: str | None
    price: Money
    currency: str
    image_url: str | None
    active: bool
    created_at: datetime | None
    updated_at: datetime | None
    version: int | None = None
    """Raised by one on every change of the product (absent from events written before it
    existed): a consumer keeping a copy applies an event only over an older version."""
    brand: str | None = None
    """Absent from events of a catalog that does not know brands yet (before its V6): a
    consumer keeping a copy leaves the brand it holds when the field is absent."""
