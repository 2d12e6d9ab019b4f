"""The story of one scenario: who did what, when, and which event made them do it.

Built from three sources: the runner's own client calls, the saga events on Kafka (keyed by
order id) and the order service's `order_events` rows. The cause of an event is the latest
earlier event of a type that triggers it in the choreography (CAUSES); an event id seen a
second time is marked as a redelivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ecomctl.scenarios.kafka import Record

# Which event types (or client actions) trigger each event type (plan 3.2, issue-5 contract).
CAUSES: dict[str, tuple[str, ...]] = {
    "OrderCreated": ("POST /api/orders",),
    "InventoryReserved": ("OrderCreated",),
    "InventoryReservationFailed": ("OrderCreated",),
    "PaymentCompleted": ("InventoryReserved",),
    "PaymentFailed": ("InventoryReserved",),
    "OrderPaid": ("PaymentCompleted",),
    "OrderCancelled": (
        "PaymentFailed",
        "InventoryReservationFailed",
        "PUT /api/orders/{id}/cancel",
    ),
    "RefundCompleted": ("OrderCancelled", "PaymentCompleted"),
    "OrderShipped": ("PUT /api/orders/{id}/ship",),
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str  # client, order, inventory, payment, notification
    action: str  # an event type, a client call, or an order state change
    origin: str  # where we saw it: client, kafka topic[partition]@offset, order_events
    order: str | None = None  # the scenario's name for the order (o1), when known
    event_id: str | None = None
    caused_by: str | None = None
    detail: str = ""
    redelivery: bool = False
    published: datetime | None = None  # the Kafka record's time (a re-publish keeps `at`)

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["at"] = self.at.isoformat()
        found["published"] = self.published.isoformat() if self.published else None
        return found


def parse_time(value: Any, fallback_ms: int | None = None) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    if fallback_ms is not None and fallback_ms > 0:
        return datetime.fromtimestamp(fallback_ms / 1000, UTC)
    return datetime.now(UTC)


def order_id_of(record: Record) -> str | None:
    """The order an event is about: its key, or `data.order_id` when keyed otherwise."""
    data = record.envelope().get("data")
    if isinstance(data, dict) and data.get("order_id") is not None:
        return str(data["order_id"])
    return record.key_text or None


def from_records(records: Iterable[Record], orders: dict[str, str]) -> list[Entry]:
    """Kafka events about the scenario's orders (`orders`: order id -> scenario name)."""
    entries = []
    for record in records:
        order_id = order_id_of(record)
        if order_id not in orders:
            continue
        envelope = record.envelope()
        entries.append(
            Entry(
                at=parse_time(envelope.get("time"), record.timestamp_ms),
                actor=str(envelope.get("source") or "?"),
                action=str(envelope.get("type") or record.header("event-type") or "?"),
                origin=f"{record.topic}[{record.partition}]@{record.offset}",
                order=orders[order_id],
                event_id=str(envelope.get("id")) if envelope.get("id") else None,
                detail=_summary(envelope.get("data")),
                published=parse_time(None, record.timestamp_ms) if record.timestamp_ms else None,
            )
        )
    return entries


def from_order_events(rows: Iterable[dict[str, Any]], order: str) -> list[Entry]:
    """Rows of the order service's `order_events` (as its API returns them)."""
    entries = []
    for row in rows:
        kind = row.get("eventType") or row.get("event_type") or row.get("type") or "?"
        data = row.get("eventData") or row.get("event_data") or row.get("data")
        entries.append(
            Entry(
                at=parse_time(row.get("createdAt") or row.get("created_at")),
                actor="order",
                action=f"order_events: {kind}",
                origin="order_events",
                order=order,
                detail=_summary(data),
            )
        )
    return entries


def assemble(entries: Iterable[Entry]) -> list[Entry]:
    """Sort by time, link each event to its cause, and mark redeliveries.

    A redelivered event carries its original envelope (and time): it is placed at the time
    it was published again instead.
    """
    ordered = sorted(entries, key=lambda e: (e.at, e.published or e.at))
    seen_ids: set[str] = set()
    latest: dict[tuple[str | None, str], Entry] = {}
    result = []
    for entry in ordered:
        redelivery = entry.event_id is not None and entry.event_id in seen_ids
        if entry.event_id:
            seen_ids.add(entry.event_id)
        cause = _cause(entry, latest)
        linked = replace(entry, caused_by=cause, redelivery=redelivery)
        if redelivery and entry.published:
            linked = replace(linked, at=entry.published)
        result.append(linked)
        if not redelivery:
            latest[(entry.order, _generic(entry.action))] = linked
    return sorted(result, key=lambda e: e.at)


def _cause(entry: Entry, latest: dict[tuple[str | None, str], Entry]) -> str | None:
    if entry.caused_by is not None:
        return entry.caused_by
    candidates = [
        latest[(entry.order, kind)]
        for kind in CAUSES.get(entry.action, ())
        if (entry.order, kind) in latest
    ]
    if not candidates:
        return None
    found = max(candidates, key=lambda e: e.at)
    return f"{found.action} ({found.event_id})" if found.event_id else found.action


def _generic(action: str) -> str:
    """Client calls are recorded with ids (`PUT /api/orders/17/cancel`); causes name the route."""
    parts = action.split(" ")
    if len(parts) == 2 and parts[1].startswith("/api/orders/"):
        segments = parts[1].split("/")
        if len(segments) >= 4 and segments[3].isdigit():
            segments[3] = "{id}"
        return f"{parts[0]} {'/'.join(segments)}"
    return action


def _summary(data: Any) -> str:
    if not isinstance(data, dict):
        return "" if data is None else str(data)[:120]
    keys = ("status", "reason", "decline_code", "amount", "total_amount", "payment_id")
    return ", ".join(f"{k}={data[k]}" for k in keys if data.get(k) not in (None, ""))
