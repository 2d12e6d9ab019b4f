"""The base of every service's commands: declaring a command is declaring its fields.

    class CancelOrder(Command):
        order_id: int
        reason: str = "cancelled by user"

A subclass is a frozen dataclass of the fields it declares (positional and keyword
arguments, equality, a repr), and type checkers see it as one (`dataclass_transform`).
Each service used to declare an empty `Command` base of its own and decorate every command
with `@dataclass(frozen=True)`. A request body that is a command as it stands is a
pydantic model instead (user-auth's `Request`): it is not a subclass of this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, dataclass_transform


@dataclass_transform(frozen_default=True)
class Command:
    """What a service's bus runs (`ecomkit.messagebus`); each kind has one handler."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)
