"""Operator views of the gateway: its routes, where they go, and each circuit's state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.bootstrap import Gateway


def admin_router(gateway: Gateway) -> APIRouter:
    router = APIRouter(prefix="/gateway", tags=["gateway"])
    proxy = gateway.proxy

    @router.get("/routes")
    async def routes() -> dict[str, Any]:
        return {
            "routes": [
                {
                    "id": route.id,
                    "service": route.service,
                    "prefixes": list(route.prefixes),
                    "circuit": proxy.breakers[route.id].state.value,
                    "instances": [
                        {
                            "url": i.url,
                            "instance_id": i.instance_id,
                            "weight": i.weight,
                            "color": i.color,
                        }
                        for i in gateway.resolver.instances(route.service)
                    ],
                }
                for route in proxy.routes.routes
            ]
        }

    return router
