"""In-memory stand-ins for the PostgreSQL adapters and the other services; contracts.py
keeps the storage fakes honest."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ecomkit.contracts import Contract
from ecomkit.errors import UpstreamUnavailable
from ecomkit.events import Event
from ecomkit.eventstore import ConcurrencyConflict
from ecomkit.testing import InMemoryUnitOfWork

from order.adapters.repositories import IdempotencyKeys, OrderRepository
from order.domain.errors import KeyTaken
from order.domain.history import rebuild
from order.domain.model import Order, OrderStatus
from order.domain.tracking import StoredEvent
from order.service_layer.ports import OrderQuery, ProductInfo, UserInfo
from order.service_layer.unit_of_work import UnitOfWork


@dataclass
class FakeStore:
    """The "database": committed state shared by every unit of work."""

    orders: dict[int, Order] = field(default_factory=dict)
    history: list[tuple[int, str, dict[str, Any], datetime]] = field(default_factory=list)
    keys: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)
    published: list[Event] = field(default_factory=list)
    """What the outbox would publish: each committed contract's `to_event()`."""
    now: datetime = field(default_factory=lambda: datetime(2025, 1, 1, 12, tzinfo=UTC))

    def published_types(self) -> list[str]:
        return [e.type for e in self.published]


History = list[tuple[int, str, dict[str, Any], datetime]]


class FakeOrderRepository(OrderRepository):
    def __init__(self, state: FakeStore, committed: History | None = None) -> None:
        self.state = state
        # Streams read as PostgreSQL reads them in READ COMMITTED: what others committed
        # meanwhile, and this unit of work's own appends.
        self.committed = committed if committed is not None else state.history
        self.appended: History = []

    async def add(self, order: Order) -> Order:
        order.id = max(self.state.orders, default=0) + 1
        order.created_at = order.updated_at = self.state.now
        self.state.orders[order.id] = copy.deepcopy(order)
        return order

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        if not for_update:
            return copy.deepcopy(self.state.orders.get(order_id))
        stream = self._stream(order_id)  # as PostgreSQL: rebuilt from the order's events
        order = rebuild(order_id, copy.deepcopy(stream))
        if order is not None:
            order.version = len(stream)
            row = self.state.orders.get(order_id)
            order.updated_at = row.updated_at if row else None
        return order

    async def save(self, order: Order) -> None:
        assert order.id is not None
        order.updated_at = self.state.now
        self.state.orders[order.id] = copy.deepcopy(order)

    async def for_user(self, user_id: int, *, offset: int, limit: int) -> list[Order]:
        mine = [o for o in self.state.orders.values() if o.user_id == user_id]
        mine.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        return copy.deepcopy(mine[offset : offset + limit])

    async def overdue(self, now: datetime, *, limit: int) -> list[int]:
        late = [o for o in self.state.orders.values() if o.is_overdue(now)]
        late.sort(key=lambda o: o.saga_deadline or now)
        return [o.id for o in late[:limit] if o.id is not None]

    async def append_event(
        self, order: Order, event_type: str, data: dict[str, Any], *, schema_version: int = 1
    ) -> None:
        assert order.id is not None
        if len(self._stream(order.id)) != order.version:
            raise ConcurrencyConflict(order.id, order.version)
        entry = (order.id, event_type, copy.deepcopy(data), self.state.now)
        self.state.history.append(entry)
        if self.committed is not self.state.history:
            self.appended.append(entry)
        order.version += 1

    def _stream(self, order_id: int) -> list[tuple[str, dict[str, Any]]]:
        alone = self.committed is self.state.history  # a repository outside a unit of work
        entries = self.state.history if alone else self.committed + self.appended
        return [(t, d) for i, t, d, _ in entries if i == order_id]

    async def events_of(self, order_id: int) -> list[tuple[str, dict[str, Any], datetime]]:
        return [(t, copy.deepcopy(d), at) for i, t, d, at in self.state.history if i == order_id]

    async def events_after(self, order_id: int, after: int, *, limit: int) -> list[StoredEvent]:
        # A position is the entry's place in the one history list, 1-based (like a serial).
        stored = [
            StoredEvent(position, t, copy.deepcopy(d), at)
            for position, (i, t, d, at) in enumerate(self.state.history, start=1)
            if i == order_id and position > after
        ]
        return stored[:limit]


class FakeIdempotencyKeys(IdempotencyKeys):
    def __init__(self, state: FakeStore) -> None:
        self.state = state

    async def find(self, user_id: int, key: str) -> tuple[int, str] | None:
        return self.state.keys.get((user_id, key))

    async def add(self, user_id: int, key: str, request_hash: str, order_id: int) -> None:
        if (user_id, key) in self.state.keys:
            raise KeyTaken(key)
        self.state.keys[(user_id, key)] = (order_id, request_hash)


class FakeUnitOfWork(InMemoryUnitOfWork[FakeStore, Contract], UnitOfWork):
    def begin(self) -> None:
        self._work = FakeStore(
            orders=copy.deepcopy(self.store.orders),
            history=list(self.store.history),
            keys=dict(self.store.keys),
            now=self.store.now,
        )
        self._orders = FakeOrderRepository(self._work, committed=self.store.history)
        self.orders = self._orders
        self.idempotency = FakeIdempotencyKeys(self._work)

    def apply(self, events: list[Contract]) -> None:
        self.store.orders = self._work.orders
        self.store.history.extend(self._orders.appended)  # others' commits stay
        self.store.keys = self._work.keys
        self.store.published.extend(e.to_event() for e in events)


@dataclass
class FakeUserDirectory:
    users: dict[int, UserInfo] = field(default_factory=dict)
    down: bool = False

    def add(self, user_id: int, email: str | None = None) -> None:
        self.users[user_id] = UserInfo(user_id, email or f"user{user_id}@example.com")

    async def user(self, user_id: int, *, authorization: str) -> UserInfo | None:
        if self.down:
            raise UpstreamUnavailable("user-auth")
        return self.users.get(user_id)


@dataclass
class FakeProductCatalog:
    products: dict[int, ProductInfo] = field(default_factory=dict)
    down: bool = False
    calls: int = 0

    def add(self, product_id: int, price: str, currency: str = "USD", active: bool = True) -> None:
        self.products[product_id] = ProductInfo(product_id, Decimal(price), currency, active)

    async def product(self, product_id: int, *, authorization: str) -> ProductInfo | None:
        self.calls += 1
        if self.down:
            raise UpstreamUnavailable("product-catalog")
        return self.products.get(product_id)


def statuses(store: FakeStore) -> dict[int, OrderStatus]:
    return {order_id: order.status for order_id, order in store.orders.items()}


@dataclass
class FakeReadModels:
    """Canned read-model rows, and the queries asked (the projections' SQL is tested on
    PostgreSQL: tests/integration/test_order_projections.py)."""

    history_rows: list[dict[str, Any]] = field(default_factory=list)
    sales_rows: list[dict[str, Any]] = field(default_factory=list)
    search_rows: list[dict[str, Any]] = field(default_factory=list)
    asked: list[tuple[str, Any]] = field(default_factory=list)

    async def history(self, user_id: int, *, offset: int, limit: int) -> list[dict[str, Any]]:
        self.asked.append(("history", (user_id, offset, limit)))
        return [r for r in self.history_rows if r["user_id"] == user_id][offset : offset + limit]

    async def sales(self, start: date, end: date, product_id: int | None) -> list[dict[str, Any]]:
        self.asked.append(("sales", (start, end, product_id)))
        return self.sales_rows

    async def search(self, query: OrderQuery) -> list[dict[str, Any]]:
        self.asked.append(("search", query))
        return self.search_rows
