"""The ASGI app: `python -m uvicorn inventory.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.health import sql_check
from ecomkit.service import Wiring, every_command, lazy_app, outbox_relay, service_app
from fastapi import FastAPI

from inventory.bootstrap import bootstrap, open_resources
from inventory.domain import commands
from inventory.entrypoints.api import router
from inventory.entrypoints.consumers import order_events_consumer
from inventory.entrypoints.live import live_router, wake_watchers_on_commit
from inventory.settings import Settings


def wire(settings: Settings) -> Wiring:
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    expiry = every_command(settings.expiry_sweep_interval_s, bus, commands.ExpireReservations)
    wake_watchers_on_commit()
    return Wiring(
        bus,
        readiness={"mysql": sql_check(resources.engine)},
        shutdown=[resources.close],
        background=[outbox_relay(settings, resources.engine), expiry],
        consumers=[order_events_consumer(settings, resources.engine, bus)],
    )


create_app = service_app(Settings, title="inventory", routers=[router, live_router], wire=wire)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
