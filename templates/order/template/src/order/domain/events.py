"""What happened (past tense); the unit of work turns them into outbox rows.

Payloads follow the issue-5 contract (snake_case; amounts as decimal strings); the Kafka
key is the order id, so every event of one order stays in order on its partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    topic: ClassVar[str]
    key: str
    data: dict[str, Any]


@dataclass(frozen=True)
class OrderCreated(Event):
    topic: ClassVar[str] = "order-created-events"


@dataclass(frozen=True)
class OrderPaid(Event):
    topic: ClassVar[str] = "order-paid-events"


@dataclass(frozen=True)
class OrderShipped(Event):
    topic: ClassVar[str] = "order-shipped-events"


@dataclass(frozen=True)
class OrderCancelled(Event):
    topic: ClassVar[str] = "order-cancelled-events"
