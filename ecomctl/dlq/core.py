"""Listing and replaying dead letters on one Kafka broker (see the package docstring)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ecomctl.errors import UsageError
from ecomctl.scenarios.kafka import DLQ_SUFFIX, EventLog, Record

HEADER_ERROR = "dlq-error"
HEADER_ATTEMPTS = "dlq-attempts"
HEADER_ORIGINAL_TOPIC = "dlq-original-topic"


@dataclass(frozen=True)
class DlqMessage:
    partition: int
    offset: int
    time: str
    key: str
    event_id: str | None
    event_type: str | None
    error: str | None
    attempts: int | None
    original_topic: str


@dataclass(frozen=True)
class DlqTopic:
    name: str
    original_topic: str
    count: int
    messages: list[DlqMessage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReplayResult:
    topic: str
    replayed: dict[str, list[str]]  # original topic -> event ids sent back
    missing: list[str]  # asked-for ids that are not in the DLQ

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.replayed.values())

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "count": self.count}


def _original_of(topic: str) -> str:
    return topic[: -len(DLQ_SUFFIX)] if topic.endswith(DLQ_SUFFIX) else topic


def _message(record: Record) -> DlqMessage:
    envelope = record.envelope()
    attempts = record.header(HEADER_ATTEMPTS)
    return DlqMessage(
        partition=record.partition,
        offset=record.offset,
        time=datetime.fromtimestamp(record.timestamp_ms / 1000, UTC).isoformat(),
        key=record.key_text,
        event_id=str(envelope["id"]) if envelope.get("id") else None,
        event_type=envelope.get("type") or record.header("event-type"),
        error=record.header(HEADER_ERROR),
        attempts=int(attempts) if attempts and attempts.isdigit() else None,
        original_topic=record.header(HEADER_ORIGINAL_TOPIC) or _original_of(record.topic),
    )


def _records(log: EventLog, topic: str) -> list[Record]:
    return log.read(log.start_offsets([topic]))


def list_dead_letters(*, bootstrap: str, include_empty: bool = False) -> list[DlqTopic]:
    """Every `*.DLQ` topic with its messages (oldest first per partition)."""
    log = EventLog(bootstrap)
    found = []
    for topic in (t for t in log.topics() if t.endswith(DLQ_SUFFIX)):
        messages = [_message(r) for r in _records(log, topic)]
        if messages or include_empty:
            found.append(DlqTopic(topic, _original_of(topic), len(messages), messages))
    return found


def replay(*, bootstrap: str, topic: str, ids: list[str] | None = None) -> ReplayResult:
    """Publish DLQ messages (all, or those whose event id is in `ids`) to their original topic."""
    if not topic.endswith(DLQ_SUFFIX):
        topic = topic + DLQ_SUFFIX
    log = EventLog(bootstrap)
    if topic not in log.topics():
        raise UsageError(f"no dead-letter topic {topic!r} (see `ecomctl dlq list`)")
    chosen: dict[str, list[Record]] = {}
    seen: set[str] = set()
    for record in _records(log, topic):
        message = _message(record)
        if ids and message.event_id not in ids:
            continue
        if message.event_id:
            seen.add(message.event_id)
        cleaned = replace(
            record, headers=[h for h in record.headers if not h[0].startswith("dlq-")]
        )
        chosen.setdefault(message.original_topic, []).append(cleaned)
    replayed: dict[str, list[str]] = {}
    for original, records in chosen.items():
        log.publish(records, topic=original)
        replayed[original] = [str(r.envelope().get("id")) for r in records]
    missing = [i for i in ids or [] if i not in seen]
    return ReplayResult(topic=topic, replayed=replayed, missing=missing)
