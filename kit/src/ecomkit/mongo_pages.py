"""Pages of a Mongo collection, newest first: the listing every service with a document
store offers (a user's notifications, a product's reviews)."""

from __future__ import annotations

from typing import Any


def newest_first(
    collection: Any, query: dict[str, Any], *, offset: int, limit: int, created: str = "createdAt"
) -> Any:
    """A cursor over the documents matching `query`, newest first by `created`; `_id`
    breaks ties, so pages neither repeat nor skip a document. The collection wants an
    index on (the query's keys, `created` descending)."""
    return collection.find(query).sort([(created, -1), ("_id", 1)]).skip(offset).limit(limit)
