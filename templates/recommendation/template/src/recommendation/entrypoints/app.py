"""The ASGI app: `python -m uvicorn recommendation.entrypoints.app:app`."""

from __future__ import annotations

from ecomkit.db import create_engine
from ecomkit.health import sql_check
from ecomkit.service import Wiring, every, lazy_app, service_app
from ecomkit.web import Hook
from fastapi import FastAPI

from recommendation.bootstrap import bootstrap
from recommendation.domain.commands import TrainModel
from recommendation.entrypoints.api import admin_router, router
from recommendation.entrypoints.consumers import interaction_consumer
from recommendation.service_layer.messagebus import MessageBus
from recommendation.settings import Settings


def scheduled_training(settings: Settings, bus: MessageBus) -> Hook:
    async def train() -> str:
        report = await bus.handle(TrainModel())
        return f"{report.interactions} interactions, {report.products} products"

    return every(settings.train_interval_s, train, what="training")


def wire(settings: Settings) -> Wiring:
    engine = create_engine(settings.database_url)
    bus = bootstrap(settings, engine=engine)
    training = [scheduled_training(settings, bus)] if settings.train_interval_s > 0 else []
    return Wiring(
        bus,
        readiness={"postgres": sql_check(engine)},
        shutdown=[engine.dispose],
        background=training,
        consumers=[interaction_consumer(settings, engine, bus)],
    )


create_app = service_app(
    Settings, title="recommendation", routers=[router, admin_router], wire=wire
)

app: FastAPI  # built on first access, not at import
__getattr__ = lazy_app(create_app)
