"""What the runner needs from the outside world; real adapters and unit-test fakes provide it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import httpx

from ecomctl.scenarios.client import Stock
from ecomctl.scenarios.kafka import Offsets, Record


class Api(Protocol):
    """The platform's HTTP API through the gateway (see client.Gateway)."""

    def register(self, username: str, password: str, *, email: str, language: str) -> None: ...
    def login(self, username: str, password: str) -> str: ...
    def my_id(self, token: str) -> int: ...
    def create_product(
        self,
        token: str,
        *,
        sku: str,
        name: str,
        price: str,
        currency: str,
        brand: str | None = None,
    ) -> int: ...
    def set_stock(self, token: str, product_id: int, quantity: int) -> None: ...
    def stock(self, token: str, product_id: int) -> Stock: ...
    def create_order(
        self,
        token: str,
        *,
        items: list[dict[str, int]],
        payment_method_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]: ...
    def order(self, token: str, order_id: int) -> dict[str, Any]: ...
    def cancel(self, token: str, order_id: int) -> httpx.Response: ...
    def order_events(self, token: str, order_id: int) -> list[dict[str, Any]]: ...
    def payments_for_order(self, token: str, order_id: int) -> list[dict[str, Any]]: ...
    def notifications(self, token: str, user_id: int) -> list[dict[str, Any]]: ...


class Cards(Protocol):
    def create_payment_method(self, card: str) -> str: ...


class Mail(Protocol):
    def messages_to(self, address: str) -> list[dict[str, Any]]: ...


class Events(Protocol):
    def topics(self) -> list[str]: ...
    def end_offsets(self, topics: Iterable[str]) -> Offsets: ...
    def read(self, start: Offsets, *, end: Offsets | None = None) -> list[Record]: ...
    def publish(self, records: Iterable[Record], *, topic: str | None = None) -> int: ...
    def lag(self, consumers: dict[str, tuple[str, ...]]) -> dict[str, int]: ...


class Traces(Protocol):
    """Zipkin's read API (traces.zipkin.ZipkinClient)."""

    def trace(self, trace_id: str) -> list[dict[str, Any]]: ...
    def ui_url(self, trace_id: str) -> str: ...


class Services(Protocol):
    """Process control of the running stack's services."""

    def kill(self, service: str) -> int:
        """kill -9 the service; returns the pid killed."""
        ...

    def pause(self, service: str) -> int:
        """SIGSTOP the service's process; returns its pid."""
        ...

    def resume(self, service: str) -> int:
        """SIGCONT a paused service."""
        ...

    def restart(self, service: str) -> None:
        """Start what is not running (`ecomctl up --only SERVICE`)."""
        ...


class Admin(Protocol):
    def credentials(self) -> tuple[str, str]:
        """An ADMIN's username and password (created on first use)."""
        ...


class Releases(Protocol):
    """`ecomctl deploy` and `ecomctl switch` on the running stack."""

    def deploy(self, service: str, env: dict[str, str]) -> str:
        """Starts the service's next color; returns 'green 0.1.0'-like text."""
        ...

    def switch(self, service: str, options: dict[str, Any], emit: Any) -> str:
        """Runs a whole switch; returns 'promoted' or 'rolled-back'."""
        ...

    def abandon(self, service: str) -> None:
        """Rolls back the service's open release, if any (a failed scenario's cleanup)."""
        ...


class Followed(Protocol):
    """An order followed in the background: the steps pushed so far."""

    def steps(self) -> list[str]: ...

    def close(self) -> None: ...


class Tracking(Protocol):
    """Live order tracking as a client sees it (the gateway's /ws/orders/{id})."""

    def follow(self, token: str, order_id: int) -> Followed: ...
