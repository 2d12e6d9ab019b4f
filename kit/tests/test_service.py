"""The service chassis: the app factory, lazy `app`, periodic loops, events to commands."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient

from ecomkit.api_params import Admin, CurrentUser
from ecomkit.consumer import PermanentError
from ecomkit.events import Envelope
from ecomkit.messagebus import MessageBus
from ecomkit.service import (
    Wiring,
    bus_of,
    commands_from_events,
    create_service_app,
    every,
    lazy_app,
    threaded_dependencies,
)
from ecomkit.settings import ServiceSettings
from ecomkit.testing import InMemoryInbox

pytestmark = pytest.mark.anyio

Bus = Annotated[Any, Depends(bus_of)]


@dataclass(frozen=True)
class Ship:
    order_id: int


class AlreadyCancelled(Exception):
    pass


@dataclass
class Deps:
    uow: Any
    shipped: list[tuple[int, Any]] = field(default_factory=list)


async def ship(command: Ship, deps: Deps) -> None:
    if command.order_id < 0:
        raise AlreadyCancelled(command.order_id)
    deps.shipped.append((command.order_id, deps.uow()))


def command_for(envelope: Envelope) -> Ship | None:
    if envelope.type != "OrderPaid":
        return None
    if "order_id" not in envelope.data:
        raise PermanentError("no order_id")
    return Ship(int(envelope.data["order_id"]))


def event(kind: str, **data: Any) -> Envelope:
    return Envelope(type=kind, source="test", data=data)


@pytest.fixture
def deps() -> Deps:
    return Deps(uow=lambda: "own")


async def test_an_event_becomes_its_command_in_the_inbox_transaction(deps: Deps) -> None:
    bus = MessageBus({Ship: ship}, deps)
    handler = commands_from_events(bus, command_for, joining=lambda inbox_uow: ("in", inbox_uow))
    inbox = InMemoryInbox(uow_factory=lambda: "inbox-tx")
    paid = event("OrderPaid", order_id=7)
    assert await inbox.handle(paid, "svc", handler)
    assert not await inbox.handle(paid, "svc", handler)  # redelivered: no second effect
    assert deps.shipped == [(7, ("in", "inbox-tx"))]


async def test_ignored_malformed_and_expected_outcomes(deps: Deps) -> None:
    bus = MessageBus({Ship: ship}, deps)
    handler = commands_from_events(bus, command_for, expected=(AlreadyCancelled,))
    await handler(event("OrderShipped", order_id=1), None)
    await handler(event("OrderPaid", order_id=-1), None)  # expected: handled, logged
    with pytest.raises(PermanentError):
        await handler(event("OrderPaid"), None)
    assert deps.shipped == []
    strict = commands_from_events(bus, command_for)
    with pytest.raises(AlreadyCancelled):
        await strict(event("OrderPaid", order_id=-1), None)


async def test_a_periodic_loop_survives_a_failed_round(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "ecomkit.service")
    rounds: list[int] = []

    async def sweep() -> int:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database went away")
        return len(rounds)

    task = asyncio.create_task(every(0.01, sweep, what="test sweep")())
    while len(rounds) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    assert "test sweep failed" in caplog.text
    assert "test sweep: 2" in caplog.text


def test_lazy_app_builds_once_and_only_app() -> None:
    built: list[int] = []
    getattr_ = lazy_app(lambda: built.append(1) or len(built))
    assert getattr_("app") == 1 and getattr_("app") == 1
    assert built == [1]
    with pytest.raises(AttributeError):
        getattr_("other")


def test_the_app_on_fakes_skips_wiring_and_the_real_one_checks_readiness() -> None:
    settings = ServiceSettings(service_name="svc", jwks_url="http://127.0.0.1:9/jwks")

    def wire(_settings: ServiceSettings) -> Wiring:
        async def store_down() -> None:
            raise ConnectionError("refused")

        return Wiring(bus="real bus", readiness={"store": store_down})

    def refuse(_settings: ServiceSettings) -> Wiring:
        raise AssertionError("a test app must not open the real stores")

    on_fakes = create_service_app(settings, title="svc", routers=[], wire=refuse, bus="fake bus")
    assert on_fakes.state.bus == "fake bus"
    real = create_service_app(settings, title="svc", routers=[], wire=wire)
    assert real.state.bus == "real bus"
    with TestClient(real) as client:
        ready = client.get("/health/ready")
    assert ready.status_code == 503 and "store" in ready.text


async def test_events_are_read_through_their_contracts() -> None:
    from ecomkit.contracts import ContractError, OrderCancelled, OrderPaid, OrderShipped
    from ecomkit.service import reading, topics_of

    seen: list[object] = []
    command_for = reading([OrderPaid, OrderCancelled], lambda event: seen.append(event) or 1)
    paid = OrderPaid(order_id=7, user_id=3, total_amount="9.50", currency="EUR")
    envelope = Envelope(type="OrderPaid", source="order", data=paid.payload())
    assert command_for(envelope) == 1 and seen == [paid]
    shipped = OrderShipped(order_id=7, user_id=3).to_event()
    assert command_for(Envelope(type=shipped.type, source="order", data=shipped.data)) is None
    with pytest.raises(ContractError):  # the consumer sends it to the DLQ
        command_for(Envelope(type="OrderPaid", source="order", data={"order_id": 7}))
    assert topics_of([OrderPaid, OrderCancelled, OrderPaid]) == [
        "order-paid-events",
        "order-cancelled-events",
    ]


async def test_a_command_may_read_the_envelope_beside_the_event() -> None:
    from ecomkit.contracts import OrderPaid
    from ecomkit.service import reading_with_envelope

    command_for = reading_with_envelope([OrderPaid], lambda event, envelope: (event, envelope))
    paid = OrderPaid(order_id=7, user_id=3, total_amount="9.50", currency="EUR")
    envelope = Envelope(type="OrderPaid", source="order", data=paid.payload())
    assert command_for(envelope) == (paid, envelope)
    assert command_for(Envelope(type="OrderShipped", source="order", data={})) is None


def test_consumers_run_in_the_background_unless_events_are_not_consumed() -> None:
    from ecomkit.settings import ConsumerSettings

    class Consumer:
        async def run(self) -> None: ...

    async def relay() -> None: ...

    consumer = Consumer()
    wiring = Wiring(bus="bus", background=[relay], consumers=[consumer])
    assert wiring.background_of(ConsumerSettings()) == [relay, consumer.run]
    assert wiring.background_of(ConsumerSettings(consume_events=False)) == [relay]


async def test_resources_close_the_service_clients_they_opened() -> None:
    from ecomkit.service import ServiceResources

    settings = ServiceSettings(service_name="svc", upstreams={"user-auth": "http://127.0.0.1:9"})
    resources = ServiceResources()
    client = resources.client("user-auth", settings)
    closed: list[str] = []

    async def aclose() -> None:
        closed.append("user-auth")

    client.aclose = aclose  # type: ignore[method-assign]
    await resources.close()
    assert resources.clients == [client] and closed == ["user-auth"]


async def test_a_sweep_sends_a_fresh_command_every_round(caplog: pytest.LogCaptureFixture) -> None:
    from ecomkit.service import every_command

    caplog.set_level(logging.INFO, "ecomkit.service")
    handled: list[object] = []

    @dataclass(frozen=True)
    class ExpireReservations:
        pass

    class Bus:
        async def handle(self, command: object) -> int:
            handled.append(command)
            return len(handled)

    sweep = every_command(0.01, Bus(), ExpireReservations)
    task = asyncio.create_task(sweep())
    while len(handled) < 2:
        await asyncio.sleep(0.01)
    task.cancel()
    assert handled[0] == ExpireReservations() and handled[0] is not handled[1]
    assert "ExpireReservations: 1" in caplog.text


def blocking_lookup(request: Request) -> str:
    return "a value found by blocking I/O"


def routes_using_the_kits_dependencies() -> APIRouter:
    router = APIRouter()

    @router.get("/orders/{order_id}")
    async def read(order_id: int, claims: CurrentUser, bus: Bus) -> None: ...

    @router.delete("/orders/{order_id}")
    async def delete(order_id: int, claims: Admin) -> None: ...

    return router


def test_the_bus_and_the_callers_claims_reach_routes_without_the_thread_pool() -> None:
    router = routes_using_the_kits_dependencies()
    app = create_service_app(_SETTINGS, title="svc", routers=[router], wire=_refuse, bus="bus")
    assert app.routes and threaded_dependencies(app) == []

    @router.get("/slow")
    async def slow(value: Annotated[str, Depends(blocking_lookup)]) -> None: ...

    app = create_service_app(_SETTINGS, title="svc", routers=[router], wire=_refuse, bus="bus")
    assert threaded_dependencies(app) == ["/slow: blocking_lookup"]


_SETTINGS = ServiceSettings(service_name="svc", jwks_url="http://127.0.0.1:9/jwks")


def _refuse(_settings: ServiceSettings) -> Wiring:
    raise AssertionError("a test app must not open the real stores")
