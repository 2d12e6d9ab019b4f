"""The ASGI app: `python -m uvicorn order.entrypoints.app:app`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ecomkit.health import sql_check
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI

from order.bootstrap import bootstrap, open_resources
from order.entrypoints.api import router
from order.entrypoints.consumers import deadline_sweeper, outbox_relay, saga_consumer
from order.service_layer.messagebus import MessageBus
from order.settings import Settings

Hook = Callable[[], Awaitable[None]]


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production builds one on the real stores."""
    settings = settings or Settings()
    if bus is not None:
        app = create_kit_app(settings, title="order", routers=[router])
    else:
        resources = open_resources(settings)
        bus = bootstrap(settings, resources)
        background: list[Hook] = [
            outbox_relay(settings, resources.engine),
            deadline_sweeper(bus, settings.saga_sweep_interval_s),
        ]
        if settings.consume_events:
            background.append(saga_consumer(settings, resources.engine, bus).run)
        app = create_kit_app(
            settings,
            title="order",
            routers=[router],
            readiness={"postgres": sql_check(resources.engine)},
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
