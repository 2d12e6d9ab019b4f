"""The ASGI app: `python -m uvicorn payment.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.db import create_engine
from ecomkit.health import sql_check
from ecomkit.service import Wiring, create_service_app, lazy_app, outbox_relay
from fastapi import FastAPI

from payment.bootstrap import bootstrap
from payment.entrypoints.api import router
from payment.entrypoints.consumers import saga_consumer
from payment.service_layer.messagebus import MessageBus
from payment.settings import Settings


def wire(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    bus = bootstrap(settings, engine=engine)
    background = [outbox_relay(settings, engine)]
    if settings.consume_events:
        background.append(saga_consumer(settings, engine, bus).run)
    return Wiring(
        bus,
        readiness={"postgres": sql_check(engine)},
        shutdown=[engine.dispose],
        background=background,
    )


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on fakes, production wires PostgreSQL and Stripe."""
    settings = settings or Settings()
    return create_service_app(settings, title="payment", routers=[router], wire=wire, bus=bus)


app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
