"""The ASGI app: `python -m uvicorn product_catalog.entrypoints.app:app`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ecomkit.health import mongo_check, redis_check, sql_check
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI

from product_catalog.bootstrap import bootstrap, open_resources
from product_catalog.entrypoints.api import router
from product_catalog.entrypoints.consumers import (
    inventory_consumer,
    outbox_relay,
    review_copier,
)
from product_catalog.service_layer.messagebus import MessageBus
from product_catalog.settings import Settings

Hook = Callable[[], Awaitable[None]]


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production builds one on the real stores."""
    settings = settings or Settings()
    if bus is not None:
        app = create_kit_app(settings, title="product-catalog", routers=[router])
    else:
        resources = open_resources(settings)
        bus = bootstrap(settings, resources)
        background: list[Hook] = [outbox_relay(settings, resources.engine), review_copier(bus)]
        if settings.consume_events:
            background.append(inventory_consumer(settings, bus).run)
        app = create_kit_app(
            settings,
            title="product-catalog",
            routers=[router],
            readiness={
                "mysql": sql_check(resources.engine),
                "mongo": mongo_check(resources.mongo),
                "redis": redis_check(resources.redis),
            },
            startup=[resources.review_store.ensure_indexes],
            shutdown=[resources.close],
            background=background,
        )
    app.state.bus = bus
    return app


app: FastAPI  # built on first access (below), not at import


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first access so importing this module has no side effects.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
