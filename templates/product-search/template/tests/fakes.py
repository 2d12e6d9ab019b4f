"""An in-memory search index that passes the same contract tests as OpenSearch
(tests/contracts.py): the same version rules, filters and facet counts. Text matching is
plain word matching (no stemming, no typos): tests of those run against OpenSearch."""

from __future__ import annotations

import copy
from typing import Any

from product_search.domain import query as dsl
from product_search.domain.documents import IndexChange
from product_search.domain.search import (
    Facets,
    SearchProducts,
    SearchResult,
    Sort,
    SuggestProducts,
)


class FakeSearchIndex:
    def __init__(self) -> None:
        self.docs: dict[int, dict[str, Any]] = {}
        self.available = True

    def _check(self) -> None:
        from product_search.domain.errors import SearchUnavailable

        if not self.available:
            raise SearchUnavailable("fake index switched off")

    async def apply(self, change: IndexChange) -> None:
        self._check()
        doc = self.docs.setdefault(change.product_id, {})
        if change.part == "review":
            ratings = doc.setdefault("ratings", {})
            ratings.update(change.fields)
            doc["rating_count"] = len(ratings)
            doc["rating"] = round(sum(ratings.values()) / len(ratings), 2)
            return
        key = f"{change.part}_version"
        if doc.get(key) is not None and doc[key] >= change.version:
            return
        doc.update(change.fields)
        doc[key] = change.version

    async def get(self, product_id: int) -> dict[str, Any] | None:
        self._check()
        found = self.docs.get(product_id)
        return copy.deepcopy(found) if found is not None else None

    async def search(self, request: SearchProducts) -> SearchResult:
        self._check()
        base = [d for d in self.docs.values() if d.get("active") and _matches(d, request)]
        filters = _facet_tests(request)
        shown = [d for d in base if all(test(d) for test in filters.values())]
        shown.sort(key=lambda d: d["id"])
        shown.sort(key=_sort_key(request.sort), reverse=request.sort in _DESCENDING)
        start = (request.page - 1) * request.size
        items = [
            {k: d.get(k) for k in ("id", "name", "price", "category", "brand")}
            for d in shown[start : start + request.size]
        ]
        return SearchResult(
            total=len(shown),
            page=request.page,
            size=request.size,
            items=items,
            facets=_facets(base, filters),
            took_ms=0,
        )

    async def suggest(self, request: SuggestProducts) -> list[dict[str, Any]]:
        self._check()
        *words, last = request.q.lower().split()
        found = []
        for d in sorted(self.docs.values(), key=lambda d: d.get("id", 0)):
            name = d.get("name") or ""
            tokens = name.lower().split()
            prefix = any(t.startswith(last) for t in tokens)
            if d.get("active") and prefix and all(w in tokens for w in words):
                found.append({"id": d["id"], "name": name})
        return found[: request.size]


_DESCENDING = {Sort.PRICE_DESC, Sort.RATING, Sort.NEWEST}


def _sort_key(sort: Sort) -> Any:
    if sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
        return lambda d: d["price"]
    if sort is Sort.RATING:
        return lambda d: d.get("rating") or 0
    if sort is Sort.NEWEST:
        return lambda d: d.get("created_at") or ""
    return lambda d: 0


def _matches(doc: dict[str, Any], request: SearchProducts) -> bool:
    if request.in_stock is not None and doc.get("in_stock") != request.in_stock:
        return False
    words = request.text.lower().split()
    text = " ".join(str(doc.get(f) or "") for f in ("name", "description", "category", "brand"))
    return all(w in text.lower().split() for w in words)


def _facet_tests(request: SearchProducts) -> dict[str, Any]:
    tests: dict[str, Any] = {}
    for field in ("category", "brand"):
        if wanted := getattr(request, field):
            tests[field] = _equal_folded(field, wanted)
    low, high = request.price_min, request.price_max
    if low is not None or high is not None:
        tests["price"] = lambda d: (
            (low is None or d["price"] >= low) and (high is None or d["price"] <= high)
        )
    if request.rating_min is not None:
        least = request.rating_min
        tests["rating"] = lambda d: d.get("rating") is not None and d["rating"] >= least
    return tests


def _equal_folded(field: str, wanted: str) -> Any:
    return lambda d: (d.get(field) or "").lower() == wanted.lower()


def _facets(docs: list[dict[str, Any]], tests: dict[str, Any]) -> Facets:
    def under_others(name: str) -> list[dict[str, Any]]:
        return [d for d in docs if all(t(d) for n, t in tests.items() if n != name)]

    return Facets(
        category=_terms(under_others("category"), "category"),
        brand=_terms(under_others("brand"), "brand"),
        price=_ranges(under_others("price"), "price", dsl.PRICE_RANGES),
        rating=_ranges(under_others("rating"), "rating", dsl.RATING_BUCKETS),
    )


def _terms(docs: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Folded values (the keyword's normalizer), most frequent first."""
    counts: dict[str, int] = {}
    for d in docs:
        if value := d.get(field):
            counts[value.lower()] = counts.get(value.lower(), 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"value": v, "count": n} for v, n in ordered]


def _ranges(docs: list[dict[str, Any]], field: str, ranges: list[dict[str, Any]]) -> list[Any]:
    def inside(value: Any, r: dict[str, Any]) -> bool:
        return value is not None and r.get("from", value) <= value < r.get("to", value + 1)

    return [
        {"value": r["key"], "count": sum(1 for d in docs if inside(d.get(field), r))}
        for r in ranges
    ]
