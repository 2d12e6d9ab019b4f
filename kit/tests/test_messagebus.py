"""The kit's message bus: routing, retry of transient conflicts, the joined bus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from ecomkit.messagebus import (
    MessageBus,
    Retry,
    UnknownCommand,
    is_mysql_conflict,
    is_postgres_conflict,
)

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Reserve:
    quantity: int


@dataclass
class Deps:
    uow: Callable[[], str]
    calls: list[str] = field(default_factory=list)
    failures_left: int = 0


class _Driver(Exception):
    def __init__(self, *args: object, sqlstate: str | None = None) -> None:
        super().__init__(*args)
        self.sqlstate = sqlstate


def deadlock() -> OperationalError:
    return OperationalError("UPDATE stock", {}, _Driver(1213, "Deadlock found"))


async def reserve(command: Reserve, deps: Deps) -> int:
    deps.calls.append(deps.uow())
    if deps.failures_left:
        deps.failures_left -= 1
        raise deadlock()
    return command.quantity


HANDLERS: dict[type[Any], Any] = {Reserve: reserve}


async def test_a_command_reaches_its_handler_with_the_deps() -> None:
    deps = Deps(uow=lambda: "own")
    assert await MessageBus(HANDLERS, deps).handle(Reserve(3)) == 3
    assert deps.calls == ["own"]


async def test_an_unknown_command_is_a_clear_error() -> None:
    with pytest.raises(UnknownCommand, match="no handler for str"):
        await MessageBus(HANDLERS, Deps(uow=lambda: "own")).handle("reserve")


async def test_a_transient_conflict_is_retried_in_a_fresh_unit_of_work() -> None:
    deps = Deps(uow=lambda: "own", failures_left=2)
    bus = MessageBus(HANDLERS, deps, retry=Retry(is_mysql_conflict, attempts=3, max_wait_s=0))
    assert await bus.handle(Reserve(1)) == 1
    assert deps.calls == ["own", "own", "own"]


async def test_retries_end_with_the_error() -> None:
    deps = Deps(uow=lambda: "own", failures_left=5)
    bus = MessageBus(HANDLERS, deps, retry=Retry(is_mysql_conflict, attempts=2, max_wait_s=0))
    with pytest.raises(OperationalError):
        await bus.handle(Reserve(1))
    assert len(deps.calls) == 2


async def test_without_retry_a_conflict_surfaces_at_once() -> None:
    deps = Deps(uow=lambda: "own", failures_left=1)
    with pytest.raises(OperationalError):
        await MessageBus(HANDLERS, deps).handle(Reserve(1))
    assert deps.calls == ["own"]


async def test_a_joined_bus_uses_the_callers_transaction_and_never_retries() -> None:
    deps = Deps(uow=lambda: "own", failures_left=1)
    bus = MessageBus(HANDLERS, deps, retry=Retry(is_mysql_conflict, max_wait_s=0))
    joined = bus.joined(lambda: "inbox's")
    with pytest.raises(OperationalError):
        await joined.handle(Reserve(1))
    assert deps.calls == ["inbox's"]  # once: no retry inside a transaction it does not own
    assert await joined.handle(Reserve(2)) == 2
    deps.failures_left = 0
    assert await bus.handle(Reserve(3)) == 3  # the bus itself still opens its own
    assert deps.calls == ["inbox's", "inbox's", "own"]


def test_conflict_predicates_read_the_driver_codes() -> None:
    assert is_mysql_conflict(deadlock())
    assert not is_mysql_conflict(OperationalError("x", {}, _Driver(1146, "no such table")))
    assert not is_mysql_conflict(ValueError("not a database error"))
    serialization = OperationalError("x", {}, _Driver(sqlstate="40001"))
    assert is_postgres_conflict(serialization)
    assert not is_postgres_conflict(OperationalError("x", {}, _Driver(sqlstate="42P01")))
