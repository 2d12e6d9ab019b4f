"""GET /api/search/products and /api/search/suggest.

Query parameters are read into the domain's pydantic models here (not by FastAPI), so every
bad value is one 400 problem body listing each field that is wrong.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ecomkit.problems import Problem, ServiceUnavailable
from ecomkit.service import bus_in
from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from product_search.domain.errors import SearchUnavailable
from product_search.domain.search import SearchProducts, SuggestProducts

router = APIRouter(prefix="/api/search", tags=["search"])

Query = TypeVar("Query", bound=BaseModel)


class BadSearch(Problem):
    default_status = 400
    default_title = "Bad Request"


def parsed(model: type[Query], request: Request) -> Query:
    params = request.query_params
    repeated = sorted({key for key in params if len(params.getlist(key)) > 1})
    if repeated:
        raise BadSearch(detail=f"each parameter at most once: {', '.join(repeated)}")
    try:
        return model.model_validate(dict(params))
    except ValidationError as error:
        errors = [
            {
                "field": ".".join(str(part) for part in e["loc"]) or "query",
                "message": e["msg"],
                "type": e["type"],
            }
            for e in error.errors(include_url=False, include_input=False)
        ]
        raise BadSearch(detail="invalid search parameters", errors=errors) from None


async def _answer(request: Request, query: BaseModel) -> Any:
    try:
        return await bus_in(request).handle(query)
    except SearchUnavailable:
        raise ServiceUnavailable(
            "search is unavailable right now; try again shortly", headers={"Retry-After": "2"}
        ) from None


@router.get(
    "/products",
    summary="Search products: text (typos forgiven), filters, facets, sort, pages",
    responses={400: {"description": "invalid parameters"}, 503: {"description": "no index"}},
)
async def search_products(request: Request) -> dict[str, Any]:
    result = await _answer(request, parsed(SearchProducts, request))
    body: dict[str, Any] = result.model_dump(by_alias=True)
    return body


@router.get("/suggest", summary="Product names for a prefix, as the shopper types (<= 10)")
async def suggest(request: Request) -> dict[str, Any]:
    query = parsed(SuggestProducts, request)
    return {"query": query.q, "suggestions": await _answer(request, query)}
