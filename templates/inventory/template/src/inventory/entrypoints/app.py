"""The ASGI app: `python -m uvicorn inventory.entrypoints.app:app`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ecomkit.health import sql_check
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI

from inventory.bootstrap import bootstrap, open_resources
from inventory.entrypoints.api import router
from inventory.entrypoints.consumers import expiry_sweeper, order_events_consumer, outbox_relay
from inventory.service_layer.messagebus import MessageBus
from inventory.settings import Settings

Hook = Callable[[], Awaitable[None]]


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production builds one on the real stores."""
    settings = settings or Settings()
    if bus is not None:
        app = create_kit_app(settings, title="inventory", routers=[router])
    else:
        resources = open_resources(settings)
        bus = bootstrap(settings, resources)
        background: list[Hook] = [
            outbox_relay(settings, resources.engine),
            expiry_sweeper(bus, settings.expiry_sweep_interval_s),
        ]
        if settings.consume_events:
            background.append(order_events_consumer(settings, resources.engine, bus).run)
        app = create_kit_app(
            settings,
            title="inventory",
            routers=[router],
            readiness={"mysql": sql_check(resources.engine)},
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
