"""Routes a command to its handler; the one door the entrypoints knock on.

A deadlock or lock-wait timeout (or a concurrent twin winning a unique key) rolls the
transaction back; the bus then runs the handler again in a fresh unit of work. A bus
`joined` to the inbox's transaction does not retry: the kit's consumer retries the event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, cast

from sqlalchemy.exc import DBAPIError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from inventory.domain.commands import Command
from inventory.service_layer.handlers import HANDLERS, Dependencies
from inventory.service_layer.unit_of_work import UnitOfWork

# MySQL: 1213 deadlock, 1205 lock wait timeout, 1062 duplicate key (a concurrent twin).
RETRYABLE_CODES = frozenset({1213, 1205, 1062})
ATTEMPTS = 5


def is_retryable(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError):
        return False
    args: tuple[object, ...] = tuple(getattr(error.orig, "args", ()))
    return bool(args) and args[0] in RETRYABLE_CODES


class MessageBus:
    def __init__(self, deps: Dependencies, *, retry: bool = True) -> None:
        self.deps = deps
        self._attempts = ATTEMPTS if retry else 1

    async def handle(self, command: Command) -> Any:
        handler = cast(Callable[[Command, Dependencies], Awaitable[Any]], HANDLERS[type(command)])
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=0.02, max=0.5),
            retry=retry_if_exception(is_retryable),
            reraise=True,
        ):
            with attempt:
                return await handler(command, self.deps)
        raise AssertionError("unreachable")  # pragma: no cover

    def joined(self, uow: Callable[[], UnitOfWork]) -> MessageBus:
        """The same bus whose handlers work in a transaction the caller owns (the inbox's)."""
        return MessageBus(replace(self.deps, uow=uow), retry=False)
