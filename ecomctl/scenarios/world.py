"""The scenario's objects by their names in the YAML (alice, widget, o1), and the adapters."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ecomctl.errors import UsageError
from ecomctl.scenarios.kafka import Offsets
from ecomctl.scenarios.ports import (
    Admin,
    Api,
    Cards,
    Events,
    Followed,
    Mail,
    Releases,
    Services,
    Traces,
    Tracking,
)
from ecomctl.scenarios.timeline import Entry

T = TypeVar("T")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    token: str


@dataclass(frozen=True)
class Order:
    id: int
    user: str  # the scenario's name of the owner
    number: str | None


@dataclass(frozen=True)
class Adapters:
    api: Api
    cards: Cards
    mail: Mail
    events: Events
    services: Services
    admin: Admin
    releases: Releases | None = None  # deploy/switch steps need it; fakes may leave it out
    traces: Traces | None = None  # a stack without Zipkin: no trace checks
    tracking: Tracking | None = None  # `watch` steps need it


@dataclass
class World:
    adapters: Adapters
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    started: float = field(default_factory=time.monotonic)
    deadline: float = 0.0
    admin_token: str | None = None
    users: dict[str, User] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    start_offsets: Offsets = field(default_factory=dict)
    client_entries: list[Entry] = field(default_factory=list)
    paused: set[str] = field(default_factory=set)  # resumed at the end whatever happens
    deployed: set[str] = field(default_factory=set)  # releases still open: rolled back at the end
    watches: dict[str, Followed] = field(default_factory=dict)  # order name -> its watch

    def remaining(self, cap: float | None = None) -> float:
        left = max(0.0, self.deadline - time.monotonic())
        return min(left, cap) if cap is not None else left

    def user(self, name: str) -> User:
        return _get(self.users, name, "user")

    def product(self, name: str) -> int:
        return _get(self.products, name, "product")

    def card(self, name: str) -> str:
        return _get(self.cards, name, "payment method")

    def order(self, name: str) -> Order:
        return _get(self.orders, name, "order")

    def order_names(self) -> dict[str, str]:
        """order id (as Kafka keys carry it) -> scenario name."""
        return {str(order.id): name for name, order in self.orders.items()}


def _get(found: dict[str, T], name: str, kind: str) -> T:
    if name not in found:
        raise UsageError(f"no {kind} named {name!r} was created by an earlier step")
    return found[name]
