from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from ecomkit.declarations import Command, Request


class ShipOrder(Command):
    order_id: int


class CancelOrder(Command):
    """A docstring and defaults, as a command declares them."""

    order_id: int
    reason: str
    actor_id: int | None = None


class CancelOverdue(CancelOrder):
    limit: int = 100


def test_a_command_is_a_frozen_dataclass_of_its_fields() -> None:
    command = CancelOrder(7, "changed my mind")
    assert dataclasses.is_dataclass(command)
    assert command == CancelOrder(order_id=7, reason="changed my mind", actor_id=None)
    assert repr(ShipOrder(3)) == "ShipOrder(order_id=3)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.reason = "other"  # type: ignore[misc]


def test_commands_compare_and_hash_by_value() -> None:
    assert ShipOrder(1) != ShipOrder(2)
    assert {ShipOrder(1), ShipOrder(1)} == {ShipOrder(1)}


def test_a_subclass_of_a_command_adds_its_fields() -> None:
    command = CancelOverdue(1, "late")
    assert [f.name for f in dataclasses.fields(command)] == [
        "order_id",
        "reason",
        "actor_id",
        "limit",
    ]
    assert command.limit == 100


def test_a_field_without_a_default_after_one_with_is_refused_at_declaration() -> None:
    with pytest.raises(TypeError):

        class Broken(Command):
            first: int = 0
            second: int  # type: ignore[misc]


class ResetPassword(Request):
    token: str
    new_password: str


def test_a_request_is_read_from_its_camel_case_body_and_frozen() -> None:
    request = ResetPassword.model_validate({"token": "t", "newPassword": "p"})
    assert request == ResetPassword(token="t", new_password="p")
    assert request.model_dump(by_alias=True) == {"token": "t", "newPassword": "p"}
    with pytest.raises(ValidationError):
        request.token = "other"
    assert {request, ResetPassword(token="t", new_password="p")} == {request}
