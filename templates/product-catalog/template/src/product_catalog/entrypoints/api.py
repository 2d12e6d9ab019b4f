"""HTTP routes. Each route builds a command (or a query) and hands it to the bus."""

from __future__ import annotations

from typing import Annotated

from ecomkit.api_params import Admin, CurrentUser, Page, PageSize, PathId
from ecomkit.service import bus_of
from fastapi import APIRouter, Depends, Query, Request, Response, status

from product_catalog.domain import commands
from product_catalog.domain.model import Product
from product_catalog.entrypoints.schemas import (
    ProductPage,
    ProductWithStock,
    RatingResponse,
    ReviewCreate,
    ReviewResponse,
)
from product_catalog.service_layer import views
from product_catalog.service_layer.handlers import ProductView, product_view
from product_catalog.service_layer.messagebus import MessageBus

router = APIRouter()


_CACHE_HEADER = {"l1": "HIT-L1", "l2": "HIT-L2", None: "MISS"}


Bus = Annotated[MessageBus, Depends(bus_of)]


@router.get("/api/products", tags=["products"])
async def list_products(
    bus: Bus,
    page: Page = 0,
    size: PageSize = 20,
    name: Annotated[str | None, Query(max_length=255, description="Name contains")] = None,
) -> ProductPage:
    found, total = await views.products_page(bus, page=page, size=size, name=name)
    items = [ProductView.model_validate(product_view(p)) for p in found]
    return ProductPage(items=items, page=page, size=size, total=total)


@router.post("/api/products", status_code=status.HTTP_201_CREATED, tags=["products"])
async def create_product(
    body: commands.NewProduct, _: Admin, bus: Bus, response: Response
) -> ProductView:
    command = commands.CreateProduct(Product(**body.model_dump()))
    product = await bus.handle(command)
    response.headers["Location"] = f"/api/products/{product.id}"
    return ProductView.model_validate(product_view(product))


@router.get("/api/products/{product_id}", tags=["products"])
async def get_product(product_id: PathId, bus: Bus, response: Response) -> ProductView:
    view, level = await views.product_by_id(bus, product_id)
    response.headers["X-Cache"] = _CACHE_HEADER[level]
    return ProductView.model_validate(view)


@router.put("/api/products/{product_id}", tags=["products"])
async def update_product(
    product_id: PathId, body: commands.ProductChanges, _: Admin, bus: Bus
) -> ProductView:
    command = commands.UpdateProduct(product_id, body)
    return ProductView.model_validate(product_view(await bus.handle(command)))


@router.delete(
    "/api/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["products"]
)
async def delete_product(product_id: PathId, _: Admin, bus: Bus) -> None:
    await bus.handle(commands.DeleteProduct(product_id))


@router.get("/api/products/{product_id}/with-stock", tags=["products"])
async def product_with_stock(product_id: PathId, bus: Bus) -> ProductWithStock:
    return ProductWithStock.model_validate(await views.product_with_stock(bus, product_id))


@router.get("/api/products/{product_id}/reviews", tags=["reviews"])
async def list_reviews(
    product_id: PathId, bus: Bus, page: Page = 0, size: PageSize = 20
) -> list[ReviewResponse]:
    found = await views.reviews_of(bus, product_id, page=page, size=size)
    return [ReviewResponse.of(review) for review in found]


@router.get("/api/products/{product_id}/rating", tags=["reviews"])
async def product_rating(product_id: PathId, bus: Bus) -> RatingResponse:
    return RatingResponse.of(await views.rating_of(bus, product_id))


@router.post("/api/reviews", status_code=status.HTTP_201_CREATED, tags=["reviews"])
async def add_review(
    body: ReviewCreate, claims: CurrentUser, request: Request, bus: Bus
) -> ReviewResponse:
    command = commands.AddReview(
        product_id=body.product_id,
        user_id=body.user_id or claims.user_id,
        author_id=claims.user_id,
        author_is_admin=claims.has_role("ADMIN"),
        rating=body.rating,
        comment=body.comment,
        authorization=request.headers["Authorization"],
    )
    return ReviewResponse.of(await bus.handle(command))
