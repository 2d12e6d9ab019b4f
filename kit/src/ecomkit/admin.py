"""Operator endpoints every service has (ADMIN role only): `/admin/faults`, `/admin/consumers`."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from ecomkit.auth import Claims, require_roles
from ecomkit.consumer import RUNNING
from ecomkit.faults import FaultInjector, Faults

log = logging.getLogger(__name__)

Admin = Annotated[Claims, Depends(require_roles("ADMIN"))]


def _injector(request: Request) -> FaultInjector:
    injector: FaultInjector = request.app.state.faults
    return injector


class ConsumerState(BaseModel):
    """The body of `PUT /admin/consumers`: pause or resume every consumer of the process."""

    model_config = ConfigDict(extra="forbid")

    paused: bool


class ConsumerStatus(BaseModel):
    group: str
    topics: list[str]
    paused: bool


def _consumers() -> list[ConsumerStatus]:
    return [
        ConsumerStatus(group=c.group_id, topics=c.topics, paused=c.paused)
        for c in sorted(RUNNING, key=lambda c: c.group_id)
    ]


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

    @router.get("/consumers")
    async def get_consumers(_: Admin) -> list[ConsumerStatus]:
        return _consumers()

    @router.put("/consumers")
    async def put_consumers(body: ConsumerState, claims: Admin) -> list[ConsumerStatus]:
        """Pauses (`{"paused": true}`) or resumes every Kafka consumer of this process."""
        for consumer in RUNNING:
            if body.paused:
                consumer.pause()
            else:
                consumer.resume()
        log.warning("consumers %s by %s", "paused" if body.paused else "resumed", claims.username)
        return _consumers()

    return router
