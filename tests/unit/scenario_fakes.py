"""An in-memory platform for the scenario runner's unit tests: the saga of the issue-5
contract played synchronously, with the same ports the real adapters implement."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ecomctl.scenarios.client import Stock
from ecomctl.scenarios.kafka import Offsets, Record
from ecomctl.scenarios.world import Adapters

DECLINED = "4000000000000341"


@dataclass
class FakeOrder:
    id: int
    user_id: int
    items: list[dict[str, int]]
    pm: str
    status: str = "PENDING"
    reason: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)  # what live tracking pushes


@dataclass
class FakeFollowed:
    """A watch of a fake order: what its live tracking pushed so far."""

    order: FakeOrder
    closed: bool = False

    def steps(self) -> list[str]:
        return list(self.order.pushed)

    def close(self) -> None:
        self.closed = True


class FakePlatform:
    """Api + Cards + Mail + Events + Services + Admin in one object."""

    def __init__(self, *, double_charge_on_redelivery: bool = False) -> None:
        self.double_charge = double_charge_on_redelivery
        self.users: dict[str, tuple[int, str, str]] = {}  # token -> id, username, email
        self.stock_of: dict[int, list[int]] = {}
        self.orders: dict[int, FakeOrder] = {}
        self.payments: dict[int, list[str]] = {}
        self.cards: dict[str, str] = {}
        self.mail: dict[str, int] = {}
        self.log: dict[str, list[Record]] = {}
        self.handled: set[str] = set()
        self.payment_down = False
        self.held: list[int] = []
        self.next_id = 100

    # ---- Admin -----------------------------------------------------------------------------
    def credentials(self) -> tuple[str, str]:
        return "admin", "Admin-pass-1"

    # ---- Api -------------------------------------------------------------------------------
    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def register(self, username: str, password: str, *, email: str, language: str) -> None:
        self.users[f"token-{username}"] = (self._id(), username, email)

    def login(self, username: str, password: str) -> str:
        return f"token-{username}"

    def my_id(self, token: str) -> int:
        return self.users[token][0]

    def create_product(
        self,
        token: str,
        *,
        sku: str,
        name: str,
        price: str,
        currency: str,
        brand: str | None = None,
    ) -> int:
        product_id = self._id()
        self.stock_of[product_id] = [0, 0, 0]
        return product_id

    def set_stock(self, token: str, product_id: int, quantity: int) -> None:
        self.stock_of[product_id][0] = quantity

    def stock(self, token: str, product_id: int) -> Stock:
        return Stock(*self.stock_of[product_id])

    def create_order(
        self,
        token: str,
        *,
        items: list[dict[str, int]],
        payment_method_id: str,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        order = FakeOrder(self._id(), self.users[token][0], items, payment_method_id)
        self.orders[order.id] = order
        self._emit("order-created-events", "order", "OrderCreated", order.id, {})
        self._history(order, "ORDER_CREATED")
        order.pushed.append("created")
        self._reserve(order)
        return {"id": order.id, "orderNumber": f"ORD-{order.id}", "status": order.status}

    def order(self, token: str, order_id: int) -> dict[str, Any]:
        found = self.orders[order_id]
        return {"id": found.id, "status": found.status, "cancelReason": found.reason}

    def cancel(self, token: str, order_id: int) -> httpx.Response:
        found = self.orders[order_id]
        if found.status != "PENDING":
            return httpx.Response(409, json={"title": "Conflict"})
        self._cancel(found, "cancelled by user")
        return httpx.Response(200, json={"id": order_id, "status": found.status})

    def order_events(self, token: str, order_id: int) -> list[dict[str, Any]]:
        return list(self.orders[order_id].history)

    def payments_for_order(self, token: str, order_id: int) -> list[dict[str, Any]]:
        return [{"id": f"pay-{order_id}", "status": s} for s in self.payments.get(order_id, [])]

    def notifications(self, token: str, user_id: int) -> list[dict[str, Any]]:
        email = next(e for (i, _u, e) in self.users.values() if i == user_id)
        return [{"channel": "EMAIL"}] * self.mail.get(email, 0)

    # ---- Cards, Mail -----------------------------------------------------------------------
    def create_payment_method(self, card: str) -> str:
        pm = f"pm_{uuid.uuid4().hex[:10]}"
        self.cards[pm] = card
        return pm

    def messages_to(self, address: str) -> list[dict[str, Any]]:
        return [{"Subject": "order"}] * self.mail.get(address, 0)

    # ---- Events ----------------------------------------------------------------------------
    def topics(self) -> list[str]:
        return sorted(self.log)

    def end_offsets(self, topics: Iterable[str]) -> Offsets:
        return {t: {0: len(self.log.get(t, []))} for t in topics}

    def start_offsets(self, topics: Iterable[str]) -> Offsets:
        return {t: {0: 0} for t in topics}

    def read(self, start: Offsets, *, end: Offsets | None = None) -> list[Record]:
        return [r for t, parts in start.items() for r in self.log.get(t, [])[parts.get(0, 0) :]]

    def publish(self, records: Iterable[Record], *, topic: str | None = None) -> int:
        count = 0
        for record in records:
            self._append(topic or record.topic, record.key, record.value, record.headers)
            count += 1
            envelope = json.loads(record.value or b"{}")
            if self.double_charge and envelope["type"] == "InventoryReserved":
                self.payments[int(record.key or 0)].append("COMPLETED")
        return count

    def lag(self, consumers: dict[str, tuple[str, ...]]) -> dict[str, int]:
        return dict.fromkeys(consumers, 0)

    # ---- Services --------------------------------------------------------------------------
    def kill(self, service: str) -> int:
        self.payment_down = True
        return 4242

    def pause(self, service: str) -> int:
        return self.kill(service)

    def resume(self, service: str) -> int:
        self.restart(service)
        return 4242

    def restart(self, service: str) -> None:
        self.payment_down = False
        held, self.held = self.held, []
        for order_id in held:
            self._pay(self.orders[order_id])

    # ---- the saga ----------------------------------------------------------------------------
    def _reserve(self, order: FakeOrder) -> None:
        short = [i for i in order.items if self.stock_of[i["productId"]][0] < i["quantity"]]
        if short:
            self._emit(
                "inventory-reservation-failed-events",
                "inventory",
                "InventoryReservationFailed",
                order.id,
                {"reason": "insufficient stock"},
            )
            self._cancel(order, "insufficient stock", release=False)
            return
        for item in order.items:
            level = self.stock_of[item["productId"]]
            level[0] -= item["quantity"]
            level[1] += item["quantity"]
        self._emit("inventory-reserved-events", "inventory", "InventoryReserved", order.id, {})
        order.pushed.append("reserved")
        if self.payment_down:
            self.held.append(order.id)
        else:
            self._pay(order)

    def _pay(self, order: FakeOrder) -> None:
        if order.status == "CANCELLED":
            return  # the cancel came first: payment refuses to charge
        if self.cards[order.pm] == DECLINED:
            self.payments[order.id] = ["FAILED"]
            self._emit(
                "payment-failed-events",
                "payment",
                "PaymentFailed",
                order.id,
                {"reason": "card_declined"},
            )
            self._cancel(order, "payment failed: card_declined")
            self._mail(order)
            return
        self.payments[order.id] = ["COMPLETED"]
        self._emit("payment-completed-events", "payment", "PaymentCompleted", order.id, {})
        order.status = "PAID"
        self._history(order, "ORDER_PAID")
        order.pushed.append("paid")
        self._emit("order-paid-events", "order", "OrderPaid", order.id, {})
        for item in order.items:
            level = self.stock_of[item["productId"]]
            level[1] -= item["quantity"]
            level[2] += item["quantity"]
        self._mail(order)

    def _cancel(self, order: FakeOrder, reason: str, *, release: bool = True) -> None:
        order.status, order.reason = "CANCELLED", reason
        self._history(order, "ORDER_CANCELLED")
        order.pushed.append("cancelled")
        self._emit(
            "order-cancelled-events", "order", "OrderCancelled", order.id, {"reason": reason}
        )
        if release:
            for item in order.items:
                level = self.stock_of[item["productId"]]
                level[1] -= item["quantity"]
                level[0] += item["quantity"]

    def _mail(self, order: FakeOrder) -> None:
        email = next(e for (i, _u, e) in self.users.values() if i == order.user_id)
        self.mail[email] = self.mail.get(email, 0) + 1

    def _history(self, order: FakeOrder, kind: str) -> None:
        order.history.append(
            {"eventType": kind, "data": {}, "createdAt": datetime.now(UTC).isoformat()}
        )

    def _emit(
        self, topic: str, source: str, kind: str, order_id: int, data: dict[str, Any]
    ) -> None:
        envelope = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "source": source,
            "time": datetime.now(UTC).isoformat(),
            "data": {"order_id": order_id, **data},
        }
        self._append(
            topic,
            str(order_id).encode(),
            json.dumps(envelope).encode(),
            [("event-type", kind.encode())],
        )

    def _append(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        records = self.log.setdefault(topic, [])
        records.append(Record(topic, 0, len(records), 0, key, value, list(headers)))

    def adapters(self) -> Adapters:
        return Adapters(
            api=self, cards=self, mail=self, events=self, services=self, admin=self, tracking=self
        )

    def follow(self, token: str, order_id: int) -> FakeFollowed:
        return FakeFollowed(self.orders[order_id])
