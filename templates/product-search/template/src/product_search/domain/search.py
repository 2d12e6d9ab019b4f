"""What a shopper may ask (validated) and what the answer holds; plain Python and pydantic.

Every limit here is checked before OpenSearch sees the request, so bad input is a 400
problem of this service, never an OpenSearch error passed through.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_QUERY_CHARS = 1000
# More words than this would expand (fuzziness x fields) past OpenSearch's clause limit.
MAX_QUERY_WORDS = 32
MAX_PAGE_SIZE = 100
# OpenSearch's index.max_result_window: deeper pages are refused, not silently cut.
MAX_RESULT_WINDOW = 10_000
MAX_SUGGESTIONS = 10


class Sort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"
    NEWEST = "newest"


class SearchProducts(BaseModel):
    """GET /api/search/products: text, filters, sort and page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    category: str | None = Field(default=None, max_length=100)
    brand: str | None = Field(default=None, max_length=100)
    price_min: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    price_max: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    rating_min: float | None = Field(default=None, ge=0, le=5)
    in_stock: bool | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = Field(default=1, ge=1)
    size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValueError("price_min must not be greater than price_max")
        if len(self.q.split()) > MAX_QUERY_WORDS:
            raise ValueError(f"q must not have more than {MAX_QUERY_WORDS} words")
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise ValueError(f"page * size must not exceed {MAX_RESULT_WINDOW}")
        return self

    @property
    def text(self) -> str:
        return self.q.strip()


class SuggestProducts(BaseModel):
    """GET /api/search/suggest: the prefix typed so far."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str = Field(min_length=1, max_length=200)
    size: int = Field(default=MAX_SUGGESTIONS, ge=1, le=MAX_SUGGESTIONS)


class Facets(BaseModel):
    category: list[dict[str, Any]]
    brand: list[dict[str, Any]]
    price: list[dict[str, Any]]
    rating: list[dict[str, Any]]


class SearchResult(BaseModel):
    total: int
    page: int
    size: int
    items: list[dict[str, Any]]
    facets: Facets
    did_you_mean: str | None = Field(default=None, serialization_alias="didYouMean")
    took_ms: int = Field(serialization_alias="tookMs")
