"""The ASGI app: `python -m uvicorn user_auth.entrypoints.app:app`."""

from __future__ import annotations

from typing import Any

from ecomkit.db import create_engine, create_read_engine
from ecomkit.health import sql_check
from ecomkit.service import Wiring, lazy_app, service_app
from fastapi import FastAPI

from user_auth.bootstrap import bootstrap
from user_auth.entrypoints import sessions_api
from user_auth.entrypoints.api import router
from user_auth.entrypoints.login_gate import LoginGate
from user_auth.service_layer.login_throttle import RecentlyBlocked
from user_auth.settings import Settings


def wire(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    read_engine = create_read_engine(settings.database_url)
    bus = bootstrap(settings, engine=engine, read_engine=read_engine)
    return Wiring(
        bus,
        readiness={"mysql": sql_check(engine)},
        shutdown=[engine.dispose, read_engine.dispose],
    )


_create_service_app = service_app(
    Settings, title="user-auth", routers=[router, sessions_api.router], wire=wire
)


def create_app(settings: Settings | None = None, *, bus: Any = None) -> FastAPI:
    """The service's app, with the gate refusing blocked addresses' logins outermost."""
    app = _create_service_app(settings, bus=bus)
    app.state.blocked_logins = RecentlyBlocked()
    app.add_middleware(LoginGate, blocked=app.state.blocked_logins)
    return app


app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
