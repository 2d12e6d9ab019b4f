"""What happened (past tense); the unit of work turns them into outbox rows. Payloads
follow the issue-5 contract; the key is the order id (the product id for InventoryUpdated)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    topic: ClassVar[str]
    key: str
    data: dict[str, Any]


@dataclass(frozen=True)
class InventoryReserved(Event):
    topic: ClassVar[str] = "inventory-reserved-events"


@dataclass(frozen=True)
class InventoryReservationFailed(Event):
    topic: ClassVar[str] = "inventory-reservation-failed-events"


@dataclass(frozen=True)
class InventoryUpdated(Event):
    topic: ClassVar[str] = "inventory-updated-events"
