"""The ASGI app: `python -m uvicorn order.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.health import sql_check
from ecomkit.service import Wiring, every_command, lazy_app, outbox_relay, service_app
from fastapi import FastAPI

from order.adapters.metrics import sample_statuses_forever
from order.bootstrap import bootstrap, open_resources
from order.domain import commands
from order.entrypoints.api import router
from order.entrypoints.consumers import saga_consumer
from order.entrypoints.live import HUB, live_router, order_notifications
from order.entrypoints.read_api import read_router
from order.settings import Settings


def wire(settings: Settings) -> Wiring:
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    sweep = every_command(settings.saga_sweep_interval_s, bus, commands.CancelOverdueOrders)

    async def statuses() -> None:
        await sample_statuses_forever(resources.engine, settings.metrics_interval_s)

    live = order_notifications(settings.database_url)

    async def projections() -> None:
        # Woken by the same NOTIFY as live tracking (any order), polled as the fallback.
        assert bus.deps.projections is not None
        await bus.deps.projections.run(HUB.any, poll_s=settings.projection_poll_s)

    return Wiring(
        bus,
        readiness={"postgres": sql_check(resources.engine)},
        shutdown=[resources.close],
        background=[outbox_relay(settings, resources.engine), sweep, statuses, live, projections],
        consumers=[saga_consumer(settings, resources.engine, bus)],
    )


create_app = service_app(
    Settings, title="order", routers=[read_router, router, live_router], wire=wire
)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
