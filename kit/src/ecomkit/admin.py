"""Operator endpoints every service has (ADMIN role only): `/admin/faults`."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ecomkit.auth import Claims, require_roles
from ecomkit.faults import FaultInjector, Faults

log = logging.getLogger(__name__)

Admin = Annotated[Claims, Depends(require_roles("ADMIN"))]


def _injector(request: Request) -> FaultInjector:
    injector: FaultInjector = request.app.state.faults
    return injector


def admin_router() -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])

    @router.get("/faults")
    async def get_faults(request: Request, _: Admin) -> Faults:
        return _injector(request).faults

    @router.put("/faults")
    async def put_faults(body: Faults, request: Request, claims: Admin) -> Faults:
        """Replaces the injected faults; all zero (`{}`) switches them off."""
        _injector(request).set(body)
        log.warning("faults set to %s by %s", body.describe(), claims.username)
        return body

    return router
