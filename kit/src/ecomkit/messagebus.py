"""One message bus for every service: a command goes to its handler with the service's ports.

A handler is `async def verb_noun(command, deps) -> result`; `deps` is the service's
dataclass of ports, whose `uow` field makes units of work. `joined(uow)` gives the same
bus whose handlers work in a transaction the caller owns (a consumer's inbox), so the
inbox row, the state change and the outbox rows commit or roll back together.

Transient conflicts (a deadlock, a serialization failure, a concurrent twin winning a
unique key) roll the transaction back; a bus built with `retry=` runs the handler again in
a fresh unit of work. A joined bus never retries: the transaction is not its own to repeat,
and the kit's consumer retries the whole event instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import DBAPIError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

Deps = TypeVar("Deps")
Handler = Callable[[Any, Deps], Awaitable[Any]]

# MySQL/MariaDB: 1213 deadlock, 1205 lock wait timeout, 1062 duplicate key (a twin won).
MYSQL_CONFLICTS = frozenset({1213, 1205, 1062})
# PostgreSQL SQLSTATEs: serialization failure, deadlock detected, unique violation.
POSTGRES_CONFLICTS = frozenset({"40001", "40P01", "23505"})


def is_mysql_conflict(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    args: tuple[object, ...] = tuple(getattr(error.orig, "args", ()))
    return bool(args) and args[0] in MYSQL_CONFLICTS


def is_postgres_conflict(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in POSTGRES_CONFLICTS


@dataclass(frozen=True)
class Retry:
    """Run a handler again, at most `attempts` times in all, when `is_transient(error)`."""

    is_transient: Callable[[BaseException], bool]
    attempts: int = 5
    max_wait_s: float = 0.5


class UnknownCommand(LookupError):
    """No handler is registered for this command's type (a wiring mistake)."""


class MessageBus(Generic[Deps]):
    def __init__(
        self,
        handlers: Mapping[type[Any], Handler[Deps]],
        deps: Deps,
        *,
        retry: Retry | None = None,
    ) -> None:
        self.handlers = handlers
        self.deps = deps
        self.retry = retry

    async def handle(self, command: Any) -> Any:
        try:
            handler = self.handlers[type(command)]
        except KeyError:
            raise UnknownCommand(f"no handler for {type(command).__name__}") from None
        if self.retry is None:
            return await handler(command, self.deps)
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=wait_random_exponential(multiplier=0.02, max=self.retry.max_wait_s),
            retry=retry_if_exception(self.retry.is_transient),
            reraise=True,
        ):
            with attempt:
                return await handler(command, self.deps)
        raise AssertionError("unreachable")  # pragma: no cover

    def joined(self, uow: Callable[[], Any]) -> MessageBus[Deps]:
        """The same bus whose handlers work in a transaction the caller owns (the inbox's)."""
        deps = dataclasses.replace(self.deps, uow=uow)  # type: ignore[type-var]
        return MessageBus(self.handlers, deps)
