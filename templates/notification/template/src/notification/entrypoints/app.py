"""The ASGI app: `python -m uvicorn notification.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.health import mongo_check
from ecomkit.service import Wiring, lazy_app, service_app
from fastapi import FastAPI

from notification.bootstrap import bootstrap, open_resources
from notification.entrypoints.api import router
from notification.entrypoints.consumers import notification_consumer
from notification.settings import Settings


def wire(settings: Settings) -> Wiring:
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    return Wiring(
        bus,
        readiness={"mongo": mongo_check(resources.mongo)},
        startup=[resources.log.ensure_indexes],
        shutdown=[resources.close],
        consumers=[notification_consumer(settings, bus)],
    )


create_app = service_app(Settings, title="notification", routers=[router], wire=wire)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
