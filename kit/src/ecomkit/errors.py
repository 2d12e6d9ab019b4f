"""The kinds of domain error every service raises; the web app answers each with its status.

A service's `domain/errors.py` subclasses these, mostly in a line or two:

    class OrderNotFound(NotFound):
        what = "order"                      # OrderNotFound(7): "order 7 not found"

    class SkuTaken(Conflict): ...

    class EmailTaken(Conflict):
        message = "email is already registered"

    class UsernameTaken(Conflict):
        message = "username {!r} is already taken"   # UsernameTaken("ada")

The domain layer stays free of HTTP: which status a kind gets is decided once, in the
kit's problem handlers (`ecomkit.problem_handlers`), so routes hand commands to the bus
without a mapping of their own. A bare `DomainError` (no kind) is a bug: a 500.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base of every error a caller can act on.

    `message`, when a kind sets it, is its text: fixed, or a `str.format` template filled
    from the arguments the error is raised with, so a kind whose only body would be an
    `__init__` building a message says it in one line instead."""

    message: ClassVar[str] = ""

    def __init__(self, *args: object) -> None:
        if self.message:
            args = (self.message.format(*args),)
        super().__init__(*args)


class NotFound(DomainError):
    """The thing asked for does not exist (404). `what` names it in the message."""

    what: ClassVar[str] = "resource"

    def __init__(self, key: object) -> None:
        super().__init__(f"{self.what} {key} not found")
        self.key = key


def found(value: T | None, missing: type[NotFound], key: object) -> T:
    """`value`, unless a look-up found nothing (None): then `missing(key)` is raised.

    What every "get it or 404" read said in three lines of its own:

        return found(await uow.orders.get(order_id), OrderNotFound, order_id)
    """
    if value is None:
        raise missing(key)
    return value


class Conflict(DomainError):
    """The request contradicts the current state (409): a taken name, a refused transition."""


class Rejected(DomainError):
    """The request cannot be acted on as it stands (400)."""


class InvalidInput(DomainError):
    """Well-formed input that refers to something impossible (422); `field` names the input."""

    def __init__(self, *detail: object, field: str | None = None, **about: Any) -> None:
        super().__init__(*detail)  # the detail, or the arguments of a kind's `message`
        self.field, self.about = field, about

    def field_errors(self) -> list[dict[str, Any]] | None:
        if self.field is None:
            return None
        return [{"field": self.field, "message": str(self), **self.about}]


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""


class Unauthenticated(DomainError):
    """The caller could not be identified (401)."""


class Unavailable(DomainError):
    """Something this depends on cannot answer now; trying again later can succeed (503)."""


class UpstreamUnavailable(Unavailable):
    """A service this one calls cannot answer now."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is unavailable; try again later")
        self.service = service
