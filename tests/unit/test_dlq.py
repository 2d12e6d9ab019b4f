"""Dead-letter listing and replay on an in-memory log."""

from __future__ import annotations

import json

import pytest

from ecomctl.dlq import core
from ecomctl.errors import UsageError
from tests.unit.scenario_fakes import FakePlatform


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> FakePlatform:
    platform = FakePlatform()
    monkeypatch.setattr(core, "EventLog", lambda _bootstrap: platform)
    for event_id in ("e1", "e2"):
        envelope = {"id": event_id, "type": "OrderCreated", "data": {"order_id": 7}}
        headers = [
            ("event-type", b"OrderCreated"),
            ("dlq-error", b"ValueError: boom"),
            ("dlq-attempts", b"5"),
            ("dlq-original-topic", b"order-created-events"),
        ]
        platform._append("order-created-events.DLQ", b"7", json.dumps(envelope).encode(), headers)
    platform._append("payment-failed-events.DLQ", b"", b"", [])
    platform.log["payment-failed-events.DLQ"].clear()
    return platform


def test_list_shows_messages_with_their_error_and_origin(log: FakePlatform) -> None:
    found = core.list_dead_letters(bootstrap="x")
    assert [t.name for t in found] == ["order-created-events.DLQ"]
    first = found[0].messages[0]
    assert (first.event_id, first.error, first.attempts) == ("e1", "ValueError: boom", 5)
    assert first.original_topic == "order-created-events" and first.key == "7"
    assert len(core.list_dead_letters(bootstrap="x", include_empty=True)) == 2


def test_replay_sends_chosen_messages_back_without_dlq_headers(log: FakePlatform) -> None:
    result = core.replay(bootstrap="x", topic="order-created-events", ids=["e2", "e404"])
    assert result.replayed == {"order-created-events": ["e2"]} and result.missing == ["e404"]
    (sent,) = log.log["order-created-events"]
    assert json.loads(sent.value or b"")["id"] == "e2"
    assert [name for name, _ in sent.headers] == ["event-type"]


def test_replay_of_an_unknown_topic_is_a_usage_error(log: FakePlatform) -> None:
    with pytest.raises(UsageError, match=r"no dead-letter topic .nope\.DLQ."):
        core.replay(bootstrap="x", topic="nope")
