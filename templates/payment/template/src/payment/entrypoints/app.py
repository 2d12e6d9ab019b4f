"""The ASGI app: `python -m uvicorn payment.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.db import create_engine
from ecomkit.health import sql_check
from ecomkit.service import Wiring, lazy_app, outbox_relay, service_app
from fastapi import FastAPI

from payment.bootstrap import bootstrap
from payment.entrypoints.api import router
from payment.entrypoints.consumers import saga_consumer
from payment.settings import Settings


def wire(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    bus = bootstrap(settings, engine=engine)
    return Wiring(
        bus,
        readiness={"postgres": sql_check(engine)},
        shutdown=[engine.dispose],
        background=[outbox_relay(settings, engine)],
        consumers=[saga_consumer(settings, engine, bus)],
    )


create_app = service_app(Settings, title="payment", routers=[router], wire=wire)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
