"""GET /api/recommendations/{userId} (the user or ADMIN), GET /api/products/{id}/similar
(anyone), POST /api/admin/recommendations/train (ADMIN).

Path and query values are read here, not by FastAPI, so a bad one is a 400 problem body
naming the field (FastAPI's own validation answers 422).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from ecomkit.api_params import Admin
from ecomkit.auth import Claims, current_user
from ecomkit.problems import Forbidden, Problem
from ecomkit.service import bus_in
from fastapi import APIRouter, Depends, Request

from recommendation.domain.commands import TrainModel
from recommendation.domain.results import Recommendations
from recommendation.service_layer import views

MAX_K = 100
DEFAULT_K = 10
ID_DIGITS = 18  # ids are BIGINT

router = APIRouter(tags=["recommendations"])
admin_router = APIRouter(prefix="/api/admin/recommendations", tags=["admin"])
Caller = Annotated[Claims, Depends(current_user)]


class BadRequest(Problem):
    default_status = 400
    default_title = "Bad Request"


def _digits(raw: str, most: int) -> bool:
    """ASCII digits only, and few enough that int() is cheap (a 5,000-digit k is a 400)."""
    return 0 < len(raw) <= most and raw.isascii() and raw.isdigit()


def an_id(field: str, raw: str) -> int:
    if not _digits(raw, ID_DIGITS) or int(raw) < 1:
        raise BadRequest(
            detail=f"{field} must be a positive whole number",
            errors=[{"field": field, "message": "a positive whole number", "type": "id"}],
        )
    return int(raw)


def a_k(request: Request) -> int:
    values = request.query_params.getlist("k")
    if not values:
        return DEFAULT_K
    raw = values[0]
    if len(values) > 1 or not _digits(raw, 3) or not 1 <= int(raw) <= MAX_K:
        raise BadRequest(
            detail=f"k must be one whole number from 1 to {MAX_K}",
            errors=[{"field": "k", "message": f"from 1 to {MAX_K}", "type": "range"}],
        )
    return int(raw)


def answer(found: Recommendations, **subject: int) -> dict[str, Any]:
    trained_at = found.trained_at.isoformat() if found.trained_at else None
    return {
        **subject,
        "productIds": found.product_ids,
        "coldStart": found.cold_start,
        "trainedAt": trained_at,
    }


@router.get(
    "/api/recommendations/{user_id}",
    summary="Products for a user: neither bought by them nor out of stock",
    responses={400: {"description": "bad user id or k"}, 403: {"description": "another user"}},
)
async def recommend(user_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    wanted = an_id("userId", user_id)
    if wanted != caller.user_id and not caller.has_role("ADMIN"):
        raise Forbidden("recommendations of another user")
    found = await views.recommended_for(bus_in(request), wanted, a_k(request))
    return answer(found, userId=wanted)


@router.get(
    "/api/products/{product_id}/similar",
    summary="Products bought by the same shoppers (popular ones for a new product)",
    responses={400: {"description": "bad product id or k"}},
)
async def similar(product_id: str, request: Request) -> dict[str, Any]:
    wanted = an_id("productId", product_id)
    found = await views.similar_to(bus_in(request), wanted, a_k(request))
    return answer(found, productId=wanted)


@admin_router.post("/train", summary="Train the model now (it is also trained on a schedule)")
async def train(request: Request, admin: Admin) -> dict[str, Any]:
    report = await bus_in(request).handle(TrainModel())
    body = asdict(report)
    body["trained_at"] = report.trained_at.isoformat()
    return body
