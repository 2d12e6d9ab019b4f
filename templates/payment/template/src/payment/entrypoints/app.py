"""The ASGI app: `python -m uvicorn payment.entrypoints.app:app`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ecomkit.db import create_engine
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI
from sqlalchemy import text

from payment.bootstrap import bootstrap
from payment.entrypoints.api import router
from payment.entrypoints.consumers import outbox_relay, saga_consumer
from payment.service_layer.messagebus import MessageBus
from payment.settings import Settings

Hook = Callable[[], Awaitable[None]]


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production builds one on PostgreSQL."""
    settings = settings or Settings()
    if bus is not None:
        app = create_kit_app(settings, title="payment", routers=[router])
    else:
        engine = create_engine(settings.database_url)
        bus = bootstrap(settings, engine=engine)
        background: list[Hook] = [outbox_relay(settings, engine)]
        if settings.consume_events:
            background.append(saga_consumer(settings, engine, bus).run)

        async def postgres() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        app = create_kit_app(
            settings,
            title="payment",
            routers=[router],
            readiness={"postgres": postgres},
            shutdown=[engine.dispose],
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
