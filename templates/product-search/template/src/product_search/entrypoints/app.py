"""The ASGI app: `python -m uvicorn product_search.entrypoints.app:app`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ecomkit.health import Check
from ecomkit.service import Wiring, lazy_app, service_app
from fastapi import FastAPI

from product_search.bootstrap import Resources, bootstrap, open_resources
from product_search.domain.errors import SearchUnavailable
from product_search.entrypoints.api import router
from product_search.entrypoints.consumers import indexer
from product_search.settings import Settings


def opensearch_check(resources: Resources, indexed: asyncio.Event) -> Check:
    async def check() -> None:
        if not await resources.index.ping():
            raise ConnectionError("OpenSearch does not answer")
        if not indexed.is_set():
            raise ConnectionError("the index is not created yet")

    return check


log = logging.getLogger(__name__)
Hook = Callable[[], Awaitable[None]]
RETRY_MAX_S = 30.0


def index_then(resources: Resources, indexed: asyncio.Event, consume: Hook | None) -> Hook:
    """Create the index (retrying while OpenSearch is away or slow: the service starts and
    answers 503 meanwhile, instead of failing its start-up), then index the events."""

    async def run() -> None:
        delay = 1.0
        while True:
            try:
                await resources.index.ensure_index()
                indexed.set()
                break
            except SearchUnavailable as error:
                log.warning("index not created (%s); trying again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        if consume is not None:
            await consume()

    return run


def wire(settings: Settings) -> Wiring:
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    consume = indexer(settings, bus).run if settings.consume_events else None
    indexed = asyncio.Event()
    return Wiring(
        bus,
        readiness={"opensearch": opensearch_check(resources, indexed)},
        shutdown=[resources.close],
        background=[index_then(resources, indexed, consume)],
    )


create_app = service_app(Settings, title="product-search", routers=[router], wire=wire)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
