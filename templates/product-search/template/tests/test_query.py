"""The request body OpenSearch gets, and the answer built from its response."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from product_search.domain.query import search_body, suggest_body
from product_search.domain.results import search_result
from product_search.domain.search import SearchProducts, Sort, SuggestProducts


def test_text_is_matched_as_words_never_as_query_syntax() -> None:
    body = search_body(SearchProducts(q='name:"x" AND price:[0 TO 1] +-~*'))
    text = body["query"]["bool"]["must"][0]["multi_match"]
    assert text["query"] == 'name:"x" AND price:[0 TO 1] +-~*'
    assert "query_string" not in str(body) and "simple_query_string" not in str(body)


def test_name_is_boosted_over_description_and_typos_are_forgiven() -> None:
    text = search_body(SearchProducts(q="shrit"))["query"]["bool"]["must"][0]["multi_match"]
    assert "name^4" in text["fields"] and "description" in text["fields"]
    assert text["fuzziness"] == "AUTO"


def test_facet_filters_go_to_post_filter_and_each_facet_skips_its_own() -> None:
    body = search_body(
        SearchProducts(q="lamp", category="lamps", price_min=Decimal(1), rating_min=3)
    )
    assert len(body["post_filter"]["bool"]["filter"]) == 3
    category = body["aggs"]["category"]["filter"]["bool"]["filter"]
    assert category == [{"range": {"price": {"gte": 1.0}}}, {"range": {"rating": {"gte": 3.0}}}]
    assert {"term": {"active": True}} in body["query"]["bool"]["filter"]


def test_brand_filters_after_the_query_and_its_facet_counts_under_the_others() -> None:
    body = search_body(SearchProducts(q="lamp", category="lamps", brand="Acme"))
    assert {"term": {"brand": "Acme"}} in body["post_filter"]["bool"]["filter"]
    assert body["aggs"]["brand"]["filter"]["bool"]["filter"] == [
        {"term": {"category": "lamps"}}
    ]
    assert body["aggs"]["brand"]["aggs"]["values"]["terms"]["field"] == "brand"
    assert {"term": {"brand": "Acme"}} in body["aggs"]["category"]["filter"]["bool"]["filter"]
    # A brand's words are searched too (with the same typo tolerance as the name).
    assert "brand.text^2" in body["query"]["bool"]["must"][0]["multi_match"]["fields"]


def test_in_stock_narrows_the_query_itself() -> None:
    body = search_body(SearchProducts(in_stock=True))
    assert {"term": {"in_stock": True}} in body["query"]["bool"]["filter"]
    assert body["query"]["bool"]["must"] == [{"match_all": {}}] and "suggest" not in body


def test_pages_and_sorts() -> None:
    body = search_body(SearchProducts(sort=Sort.PRICE_DESC, page=3, size=10))
    assert body["from"] == 20 and body["size"] == 10
    assert body["sort"] == [{"price": "desc"}, {"id": "asc"}]


@pytest.mark.parametrize(
    "params",
    [
        {"price_min": "10", "price_max": "5"},
        {"size": "101"},
        {"size": "0"},
        {"page": "0"},
        {"page": "200", "size": "100"},
        {"sort": "cheapest"},
        {"brand": "b" * 101},
        {"q": "x" * 10_000},
        {"q": " ".join(["word"] * 40)},
        {"rating_min": "6"},
        {"price_min": "-1"},
        {"in_stock": "maybe"},
        {"unknown": "1"},
    ],
)
def test_bad_parameters_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        SearchProducts.model_validate(params)


def test_suggest_uses_search_as_you_type_and_at_most_ten() -> None:
    body = suggest_body(SuggestProducts(q="blue sh"))
    assert body["query"]["bool"]["must"]["multi_match"]["type"] == "bool_prefix"
    with pytest.raises(ValidationError):
        SuggestProducts(q="x", size=11)


def _response(total: int, **extra: Any) -> dict[str, Any]:
    hit = {"_id": "1", "_score": 2.5, "_source": {"id": 1, "name": "Shirt", "in_stock": True}}
    return {"took": 3, "hits": {"total": {"value": total}, "hits": [hit] * total}, **extra}


def test_result_items_facets_and_did_you_mean() -> None:
    request = SearchProducts(q="shrit")
    suggest = {"did_you_mean": [{"options": [{"text": "shirt", "score": 0.5}]}]}
    aggs = {"category": {"values": {"buckets": [{"key": "shirts", "doc_count": 4}]}}}
    empty = search_result(request, _response(0, suggest=suggest, aggregations=aggs))
    assert empty.did_you_mean == "shirt" and empty.facets.category[0]["count"] == 4
    found = search_result(request, _response(1, suggest=suggest))
    assert found.did_you_mean is None and found.items[0]["inStock"] is True
    assert found.took_ms == 3
