"""The ASGI app: `python -m uvicorn registry.entrypoints.app:app`."""

from __future__ import annotations

import asyncio
import logging

from ecomkit.lazy import lazy_app
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI

from registry.domain.model import ServiceRegistry
from registry.entrypoints import api, page
from registry.settings import Settings

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, registry: ServiceRegistry | None = None
) -> FastAPI:
    settings = settings or Settings()
    # The registry does not register with itself.
    settings = settings.model_copy(update={"registry_url": ""})
    registry = registry or ServiceRegistry(evict_after_s=settings.registry_evict_after_s)

    async def evict_forever() -> None:
        while True:
            await asyncio.sleep(settings.registry_sweep_interval_s)
            for record in registry.evict_expired():
                log.warning(
                    "evicted %s/%s (%s): no heartbeat for %.0f s",
                    record.service,
                    record.instance_id,
                    record.url,
                    registry.evict_after_s,
                )

    app = create_kit_app(
        settings,
        title="registry",
        routers=[api.router, page.router],
        background=[evict_forever],
    )
    # (not `state.registry`: the kit keeps its registry client there)
    app.state.service_registry = registry
    return app


app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
