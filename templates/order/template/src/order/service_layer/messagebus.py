"""Routes a command to its handler; the one door the entrypoints knock on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, cast

from order.domain.commands import Command
from order.service_layer.handlers import HANDLERS, Dependencies
from order.service_layer.unit_of_work import UnitOfWork


class MessageBus:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def handle(self, command: Command) -> Any:
        handler = cast(Callable[[Command, Dependencies], Awaitable[Any]], HANDLERS[type(command)])
        return await handler(command, self.deps)

    def joined(self, uow: Callable[[], UnitOfWork]) -> MessageBus:
        """The same bus whose handlers work in a transaction the caller owns (the inbox's)."""
        return MessageBus(replace(self.deps, uow=uow))
