"""What happened (past tense); the unit of work turns them into outbox rows.

Data shapes follow the issue-5 contract; the Kafka key is the order id, so every event
of one order stays in order on its partition.
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
class PaymentCompleted(Event):
    topic: ClassVar[str] = "payment-completed-events"


@dataclass(frozen=True)
class PaymentFailed(Event):
    topic: ClassVar[str] = "payment-failed-events"


@dataclass(frozen=True)
class RefundCompleted(Event):
    topic: ClassVar[str] = "refund-completed-events"
