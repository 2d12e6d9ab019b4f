"""The service chassis: how a generated service becomes a running app.

A template's `entrypoints/app.py` says only what is its own — its routers and a `wire`
function that opens its stores and returns a `Wiring` (the bus, readiness checks,
background loops). Everything around it is here: the app itself (`ecomkit.web`), the
outbox relay, periodic sweeps, Kafka consumers that turn events into commands run inside
the inbox's transaction, and building the ASGI `app` lazily so importing a module has no
side effects.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, FastAPI
from fastapi.requests import HTTPConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from ecomkit import business_metrics, store_metrics
from ecomkit.auth import require_key_config
from ecomkit.consumer import Backoff, EventConsumer
from ecomkit.contracts.base import Contract
from ecomkit.db import outbox_committed
from ecomkit.events import Envelope
from ecomkit.health import Check
from ecomkit.http import ServiceClient, service_client
from ecomkit.inbox import Handler, Inbox
from ecomkit.kafka import create_producer
from ecomkit.lazy import lazy_app
from ecomkit.messagebus import MessageBus
from ecomkit.outbox import OutboxRelay
from ecomkit.settings import ConsumerSettings, ServiceSettings
from ecomkit.tracing import instrument_libraries
from ecomkit.web import Hook, create_app

log = logging.getLogger(__name__)

__all__ = [
    "AppFactory",
    "Consumer",
    "ServiceResources",
    "Wiring",
    "bus_in",
    "bus_of",
    "commands_from_events",
    "create_service_app",
    "event_consumer",
    "every",
    "every_command",
    "lazy_app",
    "outbox_relay",
    "reading",
    "service_app",
    "topics_of",
]

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@dataclass(kw_only=True)
class ServiceResources:
    """The connections a service's app opens, so it can check and close them.

    A service subclasses it with its stores and closes them in its own `close` after
    `super().close()`; the clients of other services it opens through `client` are
    closed here."""

    clients: list[ServiceClient] = field(default_factory=list)

    def client(self, name: str, settings: ServiceSettings) -> ServiceClient:
        """A client of service `name` (`ecomkit.http.service_client`), closed with the rest."""
        opened = service_client(name, settings)
        self.clients.append(opened)
        return opened

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


class Consumer(Protocol):
    """What the app runs for a consumer (`EventConsumer`, or a service's own wrapper)."""

    async def run(self) -> None: ...


@dataclass
class Wiring:
    """What a service built on its real stores: given to `create_service_app`."""

    bus: Any
    readiness: Mapping[str, Check] = field(default_factory=dict)
    startup: Sequence[Hook] = ()
    shutdown: Sequence[Hook] = ()
    background: Sequence[Hook] = ()
    consumers: Sequence[Consumer] = ()
    """Run in the background beside `background`, unless ECOM_CONSUME_EVENTS=false."""

    def background_of(self, settings: ServiceSettings) -> list[Hook]:
        """The loops to run: the consumers only where the settings say events are consumed
        (ECOM_CONSUME_EVENTS=false runs the API alone)."""
        consuming = not isinstance(settings, ConsumerSettings) or settings.consume_events
        consumers = [consumer.run for consumer in self.consumers] if consuming else []
        return [*self.background, *consumers]


def create_service_app(
    settings: SettingsT,
    *,
    title: str,
    routers: Sequence[APIRouter],
    wire: Callable[[SettingsT], Wiring],
    bus: Any = None,
) -> FastAPI:
    """The service's app on its real stores (`wire`), or on `bus` alone (tests pass fakes)."""
    if bus is not None:
        app = create_app(settings, title=title, routers=routers)
    else:
        require_key_config(settings)  # one clear line, before any connection is opened
        instrument_libraries()  # before `wire` opens the service's connections
        wiring = wire(settings)
        bus = wiring.bus
        app = create_app(
            settings,
            title=title,
            routers=routers,
            readiness=wiring.readiness,
            startup=wiring.startup,
            shutdown=wiring.shutdown,
            background=wiring.background_of(settings),
        )
    app.state.bus = bus
    return app


SettingsContra = TypeVar("SettingsContra", bound=ServiceSettings, contravariant=True)


class AppFactory(Protocol[SettingsContra]):
    """A service's `create_app`: its settings (from the environment when None), and in
    unit tests a bus built on fakes, which replaces `wire` (nothing is opened)."""

    def __call__(self, settings: SettingsContra | None = None, *, bus: Any = None) -> FastAPI: ...


def service_app(
    settings_type: Callable[[], SettingsT],
    *,
    title: str,
    routers: Sequence[APIRouter],
    wire: Callable[[SettingsT], Wiring],
) -> AppFactory[SettingsT]:
    """A template's `create_app`, declared in one statement:

    create_app = service_app(Settings, title="order", routers=[router], wire=wire)
    __getattr__ = lazy_app(create_app)
    """

    def create_app(settings: SettingsT | None = None, *, bus: Any = None) -> FastAPI:
        chosen = settings if settings is not None else settings_type()
        return create_service_app(chosen, title=title, routers=routers, wire=wire, bus=bus)

    return create_app


def bus_in(connection: HTTPConnection) -> Any:
    """The app's bus, for code that has the request or WebSocket at hand."""
    return connection.app.state.bus


async def bus_of(request: HTTPConnection) -> Any:
    """The app's bus, for routes: `Bus = Annotated[MessageBus, Depends(bus_of)]`.

    A coroutine on purpose: FastAPI runs a plain `def` dependency in its thread pool, and
    that hand-off (a thread woken, the GIL passed back and forth) cost more than the route
    itself on a read (py-spy: a sixth of the order service's samples).
    """
    return bus_in(request)


def threaded_dependencies(app: FastAPI) -> list[str]:
    """The dependencies of `app`'s routes that FastAPI would run in its thread pool (plain
    `def` callables), as `path: name`. A service's tests assert there are none: on these
    routes a thread hand-off per request costs more than the dependency's work."""
    return sorted(set(_threaded_in(app.routes)))


def _threaded_in(routes: Iterable[Any]) -> Iterable[str]:
    for route in routes:
        # FastAPI (0.16x) keeps an included router whole, as `original_router`; a mount
        # has `routes`.
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        inner = inner if inner is not None else getattr(route, "routes", None)
        if inner is not None:
            yield from _threaded_in(inner)
        elif (dependant := getattr(route, "dependant", None)) is not None:
            path = getattr(route, "path", "?")
            yield from (f"{path}: {name}" for name in _threaded(dependant))


def _threaded(dependant: Any) -> Iterable[str]:
    for sub in dependant.dependencies:
        call = sub.call
        runs_on_loop = inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
            type(call).__call__  # an instance such as fastapi.security.HTTPBearer
        )
        if call is not None and not runs_on_loop:
            yield getattr(call, "__qualname__", repr(call))
        yield from _threaded(sub)


def outbox_relay(settings: ServiceSettings, engine: AsyncEngine) -> Hook:
    """The background loop publishing this service's outbox to Kafka, and beside it the
    sampler of the outbox's backlog and the inbox's size (`ecomkit.store_metrics`); the
    business counters count what this service's transactions commit to the outbox."""
    outbox_committed.listen(business_metrics.count_committed)

    async def publish() -> None:
        producer = create_producer(settings.kafka_bootstrap, client_id=settings.service_name)
        await producer.start()
        try:
            await OutboxRelay(engine, producer).run()
        finally:
            await producer.stop()

    async def relay() -> None:
        sampling = asyncio.create_task(
            store_metrics.sample_forever(engine, settings.metrics_interval_s)
        )
        try:
            await publish()
        finally:
            sampling.cancel()
            await asyncio.gather(sampling, return_exceptions=True)

    return relay


def every(interval_s: float, action: Callable[[], Awaitable[Any]], *, what: str) -> Hook:
    """A loop running `action` every `interval_s`; a failed round is logged, not fatal."""

    async def periodically() -> None:
        while True:
            try:
                done = await action()
                if done:
                    log.info("%s: %s", what, done)
            except Exception:  # a database hiccup must not end the loop
                log.exception("%s failed; trying again in %.0f s", what, interval_s)
            await asyncio.sleep(interval_s)

    periodically.__name__ = what.replace(" ", "_")
    return periodically


def every_command(interval_s: float, bus: Any, command: Callable[[], Any]) -> Hook:
    """A sweep: a fresh `command()` handled by `bus` every `interval_s`, logged under the
    command's name with what its handler returned (e.g. `ExpireReservations: 3`)."""
    return every(interval_s, lambda: bus.handle(command()), what=command.__name__)


CommandFor = Callable[[Envelope], Any]
Joining = Callable[[Any], Any]


def topics_of(contracts: Iterable[type[Contract]]) -> list[str]:
    """The topics these events travel on, each once, in order (topic names live in contracts)."""
    return list(dict.fromkeys(str(contract.topic) for contract in contracts))


def reading(contracts: Iterable[type[Contract]], command_for: Callable[[Any], Any]) -> CommandFor:
    """An envelope's command, from the event read through its typed contract.

    Types not in `contracts` are ignored (None); an event that does not fit its contract
    raises a ContractError, which the kit's consumer sends to the DLQ at once.
    """
    return reading_with_envelope(contracts, lambda event, _envelope: command_for(event))


def reading_with_envelope(
    contracts: Iterable[type[Contract]], command_for: Callable[[Any, Envelope], Any]
) -> CommandFor:
    """`reading`, for commands that need the envelope beside the event (e.g. its time, to
    order the changes of an event that carries no version)."""
    by_type = {contract.event_type: contract for contract in contracts}

    def command_for_envelope(envelope: Envelope) -> Any:
        contract = by_type.get(envelope.type)
        if contract is None:
            return None
        return command_for(contract.from_data(envelope.data, envelope.schema_version), envelope)

    return command_for_envelope


def commands_from_events(
    bus: MessageBus[Any],
    command_for: CommandFor,
    *,
    joining: Joining | None = None,
    expected: tuple[type[Exception], ...] = (),
) -> Handler:
    """The consumer's handler: the event's command, run by `bus`.

    `command_for(envelope)` gives the command (None: an event this service ignores; raise
    PermanentError for a malformed one). With `joining` (e.g. `PostgresUnitOfWork.joining`)
    the command runs in the transaction the inbox opened for this event. An `expected`
    error ends the event as handled (logged), e.g. a charge for an order already cancelled.
    """

    async def on_event(envelope: Envelope, inbox_uow: Any) -> None:
        command = command_for(envelope)
        if command is None:
            log.debug("ignoring %s %s", envelope.type, envelope.id)
            return
        target = bus if joining is None else bus.joined(lambda: joining(inbox_uow))
        try:
            await target.handle(command)
        except expected as error:
            log.info("%s %s: %s (%s)", envelope.type, envelope.id, type(error).__name__, error)

    return on_event


def event_consumer(
    settings: ConsumerSettings,
    topics: Sequence[str],
    handler: Handler,
    *,
    inbox: Inbox,
    group_id: str | None = None,
) -> EventConsumer:
    """A consumer configured from the service's ECOM_CONSUMER_* settings."""
    return EventConsumer(
        settings.kafka_bootstrap,
        group_id or settings.service_name,
        list(topics),
        handler,
        inbox=inbox,
        max_attempts=settings.consumer_max_attempts,
        backoff=Backoff(settings.consumer_backoff_initial_s, settings.consumer_backoff_max_s),
        create_topics=True,
        consumer_options={"auto_offset_reset": settings.consumer_offset_reset},
        concurrency=settings.consumer_concurrency,
        metrics_interval_s=settings.metrics_interval_s,
    )
