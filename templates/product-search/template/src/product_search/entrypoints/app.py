"""The ASGI app: `python -m uvicorn product_search.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.health import Check
from ecomkit.service import Wiring, create_service_app, lazy_app
from fastapi import FastAPI

from product_search.bootstrap import Resources, bootstrap, open_resources
from product_search.entrypoints.api import router
from product_search.entrypoints.consumers import indexer
from product_search.service_layer.messagebus import MessageBus
from product_search.settings import Settings


def opensearch_check(resources: Resources) -> Check:
    async def check() -> None:
        if not await resources.index.ping():
            raise ConnectionError("OpenSearch does not answer")

    return check


def wire(settings: Settings) -> Wiring:
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    background = [indexer(settings, bus).run] if settings.consume_events else []
    return Wiring(
        bus,
        readiness={"opensearch": opensearch_check(resources)},
        startup=[resources.index.ensure_index],
        shutdown=[resources.close],
        background=background,
    )


def create_app(settings: Settings | None = None, *, bus: MessageBus | None = None) -> FastAPI:
    """The app; tests pass a bus built on the fake index, production wires OpenSearch."""
    settings = settings or Settings()
    return create_service_app(
        settings, title="product-search", routers=[router], wire=wire, bus=bus
    )


app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
