"""The ASGI app: `python -m uvicorn user_auth.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.db import create_engine
from ecomkit.web import create_app as create_kit_app
from fastapi import FastAPI
from sqlalchemy import text

from user_auth.bootstrap import bootstrap
from user_auth.entrypoints.api import router
from user_auth.service_layer.messagebus import MessageBus
from user_auth.settings import Settings


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production builds one on MySQL."""
    settings = settings or Settings()
    readiness = {}
    shutdown = []
    if bus is None:
        engine = create_engine(settings.database_url)
        bus = bootstrap(settings, engine=engine)

        async def mysql() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        readiness["mysql"] = mysql
        shutdown.append(engine.dispose)
    app = create_kit_app(
        settings,
        title="user-auth",
        routers=[router],
        readiness=readiness,
        shutdown=shutdown,
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
