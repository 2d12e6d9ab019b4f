"""The ASGI app: `python -m uvicorn notification.entrypoints.app:app`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ecomkit.health import mongo_check
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI

from notification.bootstrap import bootstrap, open_resources
from notification.entrypoints.api import router
from notification.entrypoints.consumers import event_consumer
from notification.service_layer.messagebus import MessageBus
from notification.settings import Settings

Hook = Callable[[], Awaitable[None]]


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production builds one on Mongo and SMTP."""
    settings = settings or Settings()
    if bus is not None:
        app = create_kit_app(settings, title="notification", routers=[router])
    else:
        resources = open_resources(settings)
        bus = bootstrap(settings, resources)
        background: list[Hook] = []
        if settings.consume_events:
            background.append(event_consumer(settings, bus).run)
        app = create_kit_app(
            settings,
            title="notification",
            routers=[router],
            readiness={"mongo": mongo_check(resources.mongo)},
            startup=[resources.log.ensure_indexes],
            shutdown=[resources.close],
            background=background,
        )
    app.state.bus = bus
    return app


app: FastAPI  # built on first access (below), not at import


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first access so importing this module (tests, tools) has no effects.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
