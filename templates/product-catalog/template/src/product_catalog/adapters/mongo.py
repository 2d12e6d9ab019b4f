"""Reviews in Mongo (FerretDB locally): one document per review, `_id` = review id, so
writing the same review twice leaves one document."""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from product_catalog.domain.model import Review


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
        document = {
            "_id": review.id,
            "productId": review.product_id,
            "userId": review.user_id,
            "rating": review.rating,
            "comment": review.comment,
            "createdAt": review.created_at,
        }
        await self.collection.replace_one({"_id": review.id}, document, upsert=True)

    async def for_product(self, product_id: int, *, offset: int, limit: int) -> list[Review]:
        cursor = (
            self.collection.find({"productId": product_id})
            .sort([("createdAt", -1), ("_id", 1)])
            .skip(offset)
            .limit(limit)
        )
        return [_review(document) async for document in cursor]

    async def ratings(self, product_id: int) -> list[int]:
        cursor = self.collection.find({"productId": product_id}, {"rating": 1, "_id": 0})
        return [int(document["rating"]) async for document in cursor]


def _review(document: dict[str, Any]) -> Review:
    created: datetime = document["createdAt"]
    return Review(
        id=str(document["_id"]),
        product_id=int(document["productId"]),
        user_id=int(document["userId"]),
        rating=int(document["rating"]),
        comment=document.get("comment"),
        created_at=created.replace(tzinfo=None),
    )
