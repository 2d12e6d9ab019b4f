"""The route parameters every service's API declares alike (FastAPI `Annotated` aliases):
who is calling, a row id in the path, and a page of a listing.

    @router.get("/api/orders/user/{user_id}")
    async def orders_of(user_id: PathId, claims: CurrentUser, page: Page = 0, size: PageSize = 20)

The OpenAPI document shows the constraints as before: the alias is only where they live.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from ecomkit.auth import Claims, current_user, require_roles

CurrentUser = Annotated[Claims, Depends(current_user)]
"""Any caller with a valid user (or service) token."""

Admin = Annotated[Claims, Depends(require_roles("ADMIN"))]

AdminOrService = Annotated[Claims, Depends(require_roles("ADMIN", "SERVICE"))]

PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]
"""A BIGINT id in the path (ids start at 1)."""

Page = Annotated[int, Query(ge=0, le=100_000)]
"""Which page of a listing, from 0 (default it to 0 at the route)."""

PageSize = Annotated[int, Query(ge=1, le=100)]
"""How many a page holds (default it at the route, usually 20)."""
