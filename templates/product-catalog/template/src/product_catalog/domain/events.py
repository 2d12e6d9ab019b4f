"""What happened (past tense); the unit of work turns them into outbox rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    topic: ClassVar[str]
    key: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ReviewAdded(Event):
    topic: ClassVar[str] = "review-added-events"


@dataclass(frozen=True)
class ProductChanged(Event):
    topic: ClassVar[str] = "product-changed-events"
