"""What services publish: an `Event` recorded in the unit of work, sent as an `Envelope`.

DESIGN 5: one envelope for every event; W3C `traceparent` and a correlation id travel in
Kafka headers next to the `event-type`.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

HEADER_TRACEPARENT = "traceparent"
HEADER_CORRELATION_ID = "correlation-id"
HEADER_EVENT_TYPE = "event-type"


class UndecodableEvent(ValueError):
    """The bytes are not an envelope; retrying cannot help (straight to the DLQ)."""


class Event(BaseModel):
    """A domain event waiting in the unit of work; `key` orders events (e.g. the order id)."""

    model_config = ConfigDict(frozen=True)

    type: str
    topic: str
    key: str
    data: dict[str, Any]
    subject: str | None = None
    aggregate_type: str | None = None
    schema_version: int = 1

    @property
    def aggregate_id(self) -> str:
        return self.subject or self.key


class Envelope(BaseModel):
    id: uuid.UUID = Field(default_factory=lambda: uuid7())
    type: str
    source: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    data: dict[str, Any]
    schema_version: int = 1


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode(raw: bytes | None) -> Envelope:
    if raw is None:
        raise UndecodableEvent("empty message")
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise UndecodableEvent(f"not an event envelope: {exc.errors()[0]['msg']}") from exc


def envelope_payload(envelope: Envelope) -> dict[str, Any]:
    """The JSON-ready dict stored in the outbox `payload` column."""
    result: dict[str, Any] = json.loads(envelope.model_dump_json())
    return result


_lock = threading.Lock()
_last = [0, 0]  # last millisecond, counter within it


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 v7), monotonic within this process.

    Event ids sort by creation time, which makes logs and the outbox easy to read (the
    relay's order is the outbox's `seq`).
    """
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last[0]:
            ms = _last[0]
            _last[1] += 1
        else:
            _last[0], _last[1] = ms, int.from_bytes(os.urandom(2), "big") & 0x3FF
        counter = _last[1] & 0xFFF
        if _last[1] > 0xFFF:  # counter overflow: borrow the next millisecond
            _last[0], _last[1] = ms + 1, 0
            ms, counter = ms + 1, 0
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand
    return uuid.UUID(int=value)
