"""An OpenSearch response -> the answer shoppers get (pure functions, unit-tested)."""

from __future__ import annotations

from typing import Any

from product_search.domain.search import Facets, SearchProducts, SearchResult

SHOWN_FIELDS = (
    "id", "sku", "name", "description", "category", "brand", "price", "currency", "image_url",
    "in_stock", "rating", "rating_count", "created_at",
)  # fmt: skip


def search_result(request: SearchProducts, response: dict[str, Any]) -> SearchResult:
    hits = response["hits"]
    total = int(hits["total"]["value"])
    return SearchResult(
        total=total,
        page=request.page,
        size=request.size,
        items=[_item(hit) for hit in hits["hits"]],
        facets=_facets(response.get("aggregations", {})),
        did_you_mean=_did_you_mean(response) if total == 0 else None,
        took_ms=int(response.get("took", 0)),
    )


def suggestions(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": hit["_source"]["id"], "name": hit["_source"]["name"]}
        for hit in response["hits"]["hits"]
    ]


def _item(hit: dict[str, Any]) -> dict[str, Any]:
    source = hit["_source"]
    item = {_camel(name): source.get(name) for name in SHOWN_FIELDS}
    item["score"] = hit.get("_score")
    item["highlight"] = hit.get("highlight", {})
    return item


def _facets(aggregations: dict[str, Any]) -> Facets:
    def buckets(name: str) -> list[dict[str, Any]]:
        found = aggregations.get(name, {}).get("values", {}).get("buckets", [])
        return [{"value": b["key"], "count": b["doc_count"]} for b in found]

    return Facets(
        category=buckets("category"),
        brand=buckets("brand"),
        price=buckets("price"),
        rating=buckets("rating"),
    )


def _did_you_mean(response: dict[str, Any]) -> str | None:
    for entry in response.get("suggest", {}).get("did_you_mean", []):
        for option in entry.get("options", []):
            return str(option["text"])
    return None


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
