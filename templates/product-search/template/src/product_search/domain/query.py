"""A validated search -> the OpenSearch request body (pure functions, unit-tested).

- The shopper's text goes into `multi_match` (never `query_string`): `+`, `"`, `AND`,
  `field:value` are words to look for, not syntax.
- Filters that have a facet (category, brand, price, rating) go into `post_filter`, and every
  facet counts under all the OTHER filters: picking a category keeps the other categories'
  counts visible, as shops do. Filters without a facet (in stock, active) narrow the query.
- A phrase suggester over word shingles of the name gives "did you mean" when nothing
  matches.
"""

from __future__ import annotations

from typing import Any

from product_search.domain.search import SearchProducts, Sort, SuggestProducts

# The name counts most, then the category and brand words, then the description.
# `minimum_should_match` holds per field: `brand_name` (the brand and the name copied into
# one field) lets "kestrel kettle" match a kettle whose name does not carry its brand.
TEXT_FIELDS = [
    "name^4", "name.shingles^2", "brand_name^2", "category.text^2", "brand.text^2", "description",
]  # fmt: skip
PRICE_RANGES = [
    {"key": "under 25", "to": 25},
    {"key": "25-50", "from": 25, "to": 50},
    {"key": "50-100", "from": 50, "to": 100},
    {"key": "100-200", "from": 100, "to": 200},
    {"key": "200 and up", "from": 200},
]
RATING_BUCKETS = [{"key": f"{n} and up", "from": n} for n in (4, 3, 2, 1)]
HIGHLIGHT = {
    "pre_tags": ["<em>"],
    "post_tags": ["</em>"],
    "fields": {"name": {"number_of_fragments": 0}, "description": {"fragment_size": 150}},
}
SORTS: dict[Sort, list[Any]] = {
    Sort.RELEVANCE: ["_score"],
    Sort.PRICE_ASC: [{"price": "asc"}],
    Sort.PRICE_DESC: [{"price": "desc"}],
    Sort.RATING: [{"rating": {"order": "desc", "missing": "_last"}}, {"rating_count": "desc"}],
    Sort.NEWEST: [{"created_at": {"order": "desc", "missing": "_last"}}],
}
FACET_SIZE = 20


def search_body(request: SearchProducts) -> dict[str, Any]:
    facet_filters = _facet_filters(request)
    body: dict[str, Any] = {
        "query": {"bool": {"must": [_text_query(request.text)], "filter": _base_filters(request)}},
        "post_filter": {"bool": {"filter": list(facet_filters.values())}},
        "aggs": _facets(facet_filters),
        "sort": [*SORTS[request.sort], {"id": "asc"}],
        "from": (request.page - 1) * request.size,
        "size": request.size,
        "track_total_hits": True,
        "highlight": HIGHLIGHT,
    }
    if request.text:
        body["suggest"] = did_you_mean(request.text)
    return body


def suggest_body(request: SuggestProducts) -> dict[str, Any]:
    """search_as_you_type: every word typed so far, the last one as a prefix."""
    return {
        "query": {
            "bool": {
                "must": {
                    "multi_match": {
                        "query": request.q,
                        "type": "bool_prefix",
                        "fields": ["name.prefix", "name.prefix._2gram", "name.prefix._3gram"],
                        "operator": "and",
                    }
                },
                "filter": [{"term": {"active": True}}],
            }
        },
        "_source": ["id", "name"],
        "size": request.size,
    }


def did_you_mean(text: str) -> dict[str, Any]:
    return {
        "text": text,
        "did_you_mean": {
            "phrase": {
                "field": "name.shingles",
                "size": 1,
                "max_errors": 2,
                "direct_generator": [
                    {"field": "name.shingles", "suggest_mode": "always", "min_word_length": 3}
                ],
            }
        },
    }


def _text_query(text: str) -> dict[str, Any]:
    if not text:
        return {"match_all": {}}
    return {
        "multi_match": {
            "query": text,
            "fields": TEXT_FIELDS,
            "type": "most_fields",
            "fuzziness": "AUTO",
            "prefix_length": 1,
            "operator": "or",
            "minimum_should_match": "2<75%",
        }
    }


def _base_filters(request: SearchProducts) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [{"term": {"active": True}}]
    if request.in_stock is not None:
        filters.append({"term": {"in_stock": request.in_stock}})
    return filters


def _facet_filters(request: SearchProducts) -> dict[str, dict[str, Any]]:
    filters: dict[str, dict[str, Any]] = {}
    if request.category:
        filters["category"] = {"term": {"category": request.category}}
    if request.brand:
        filters["brand"] = {"term": {"brand": request.brand}}
    price = {
        bound: float(value)
        for bound, value in (("gte", request.price_min), ("lte", request.price_max))
        if value is not None
    }
    if price:
        filters["price"] = {"range": {"price": price}}
    if request.rating_min is not None:
        filters["rating"] = {"range": {"rating": {"gte": request.rating_min}}}
    return filters


def _facets(facet_filters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each facet under every filter but its own."""
    values = {
        "category": {"terms": {"field": "category", "size": FACET_SIZE}},
        "brand": {"terms": {"field": "brand", "size": FACET_SIZE}},
        "price": {"range": {"field": "price", "ranges": PRICE_RANGES}},
        "rating": {"range": {"field": "rating", "ranges": RATING_BUCKETS}},
    }
    return {
        name: {
            "filter": {
                "bool": {"filter": [f for other, f in facet_filters.items() if other != name]}
            },
            "aggs": {"values": aggregation},
        }
        for name, aggregation in values.items()
    }
