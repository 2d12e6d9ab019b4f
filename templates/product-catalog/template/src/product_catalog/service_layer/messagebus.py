"""Routes a command to its handler; the one door the entrypoints knock on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from product_catalog.domain.commands import Command
from product_catalog.service_layer.handlers import HANDLERS, Dependencies


class MessageBus:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def handle(self, command: Command) -> Any:
        handler = cast(Callable[[Command, Dependencies], Awaitable[Any]], HANDLERS[type(command)])
        return await handler(command, self.deps)
