"""Routes a command to its handler; the one door the entrypoints knock on."""

from __future__ import annotations

from typing import Any

from payment.domain.commands import Command
from payment.service_layer.handlers import HANDLERS, Dependencies
from payment.service_layer.unit_of_work import UnitOfWork


class MessageBus:
    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def handle(self, command: Command, *, uow: UnitOfWork | None = None) -> Any:
        """Run the command in its own unit of work, or in `uow` (a consumer's transaction)."""
        return await HANDLERS[type(command)](command, self.deps, uow or self.deps.uow())
