"""The base of every service's commands: declaring a command is declaring its fields.

    class CancelOrder(Command):
        order_id: int
        reason: str = "cancelled by user"

A subclass is a frozen dataclass of the fields it declares (positional and keyword
arguments, equality, a repr), and type checkers see it as one (`dataclass_transform`).
Each service used to declare an empty `Command` base of its own and decorate every command
with `@dataclass(frozen=True)`.

A command a client sends whole is the HTTP body itself, a `Request` (a frozen pydantic
model, camelCase on the wire): pydantic checks its fields as it arrives, so no schema
restates them. One that adds what the body must not choose (the caller's id from the
token) is a `Command` that carries the body along.

    class ResetPassword(Request):
        token: Token
        new_password: Password
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, dataclass_transform

from pydantic import ConfigDict

from ecomkit.schemas import CamelModel


@dataclass_transform(frozen_default=True)
class Command:
    """What a service's bus runs (`ecomkit.messagebus`); each kind has one handler."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)


class Request(CamelModel):
    """A command the API takes whole as its body; the bus runs it like any other."""

    model_config = ConfigDict(frozen=True)
