"""Routes a command to its handler; the one door the entrypoints knock on."""

from __future__ import annotations

from typing import Any

from notification.domain.commands import Command
from notification.service_layer.handlers import HANDLERS, Dependencies


class MessageBus:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def handle(self, command: Command) -> Any:
        return await HANDLERS[type(command)](command, self.deps)
