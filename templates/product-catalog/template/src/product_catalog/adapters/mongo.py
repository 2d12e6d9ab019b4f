"""Reviews in Mongo (FerretDB locally): one document per review, `_id` = review id, so
writing the same review twice leaves one document."""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from ecomkit.mongo_pages import newest_first
from ecomkit.records import record_from_row, record_values

from product_catalog.domain.model import Review

# A review's fields under the keys its documents have (camelCase, `_id` the review's id).
_KEYS = {"id": "_id", "product_id": "productId", "user_id": "userId", "created_at": "createdAt"}


class ReviewStore(abc.ABC):
    @abc.abstractmethod
    async def upsert(self, review: Review) -> None: ...

    @abc.abstractmethod
    async def for_product(self, product_id: int, *, offset: int, limit: int) -> list[Review]:
        """Newest first."""

    @abc.abstractmethod
    async def ratings(self, product_id: int) -> list[int]: ...


class MongoReviewStore(ReviewStore):
    def __init__(self, database: Any, *, collection: str = "reviews") -> None:
        self.collection = database[collection]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("productId", 1), ("createdAt", -1)])

    async def upsert(self, review: Review) -> None:
        document = record_values(review, columns=_KEYS)
        await self.collection.replace_one({"_id": review.id}, document, upsert=True)

    async def for_product(self, product_id: int, *, offset: int, limit: int) -> list[Review]:
        cursor = newest_first(
            self.collection, {"productId": product_id}, offset=offset, limit=limit
        )
        return [_review(document) async for document in cursor]

    async def ratings(self, product_id: int) -> list[int]:
        cursor = self.collection.find({"productId": product_id}, {"rating": 1, "_id": 0})
        return [int(document["rating"]) async for document in cursor]


def _review(document: dict[str, Any]) -> Review:
    created: datetime = document["createdAt"]
    return record_from_row(
        Review,
        document,
        columns=_KEYS,
        id=str(document["_id"]),
        comment=document.get("comment"),  # a document may lack it
        created_at=created.replace(tzinfo=None),
    )
