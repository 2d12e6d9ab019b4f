"""The ASGI app: `python -m uvicorn product_catalog.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.health import mongo_check, redis_check, sql_check
from ecomkit.service import Wiring, every_command, lazy_app, outbox_relay, service_app
from fastapi import FastAPI

from product_catalog.bootstrap import bootstrap, open_resources
from product_catalog.domain import commands
from product_catalog.entrypoints.api import router
from product_catalog.entrypoints.consumers import inventory_consumer
from product_catalog.settings import Settings


def wire(settings: Settings) -> Wiring:
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    copy_reviews = every_command(settings.review_copy_interval_s, bus, commands.StorePendingReviews)
    return Wiring(
        bus,
        readiness={
            "mysql": sql_check(resources.engine),
            "mongo": mongo_check(resources.mongo),
            "redis": redis_check(resources.redis),
        },
        startup=[resources.review_store.ensure_indexes],
        shutdown=[resources.close],
        background=[outbox_relay(settings, resources.engine), copy_reviews],
        consumers=[inventory_consumer(settings, bus)],
    )


create_app = service_app(Settings, title="product-catalog", routers=[router], wire=wire)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
