"""Every built-in scenario passes against the real stack brought up by `ecomctl up`;
`ecomctl dlq` lists and replays a real dead letter."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from ecomctl.scenarios.endpoints import for_workspace
from ecomctl.scenarios.kafka import EventLog, Record
from tests.integration.saga_stack import SagaStack, saga_stack  # noqa: F401 - the fixture

SCENARIOS = [
    "order-happy-path",
    "payment-failure",
    "out-of-stock",
    "cancel-before-payment",
    "duplicate-delivery",
    "crash-recovery",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_passes(saga_stack: SagaStack, name: str) -> None:  # noqa: F811
    result = saga_stack.ecomctl("scenario", name, "--json", timeout=400)
    assert result.stdout, result.stderr
    payload = json.loads(result.stdout)
    failed = [c for c in payload["checks"] if not c["ok"]]
    assert result.returncode == 0 and payload["ok"], (payload["error"], failed, result.stderr)
    assert payload["timeline"], "a timeline of what happened"
    assert all(step["ok"] for step in payload["steps"])


def test_scenario_list_and_human_output(saga_stack: SagaStack) -> None:  # noqa: F811
    listed = saga_stack.ecomctl("scenario", "--list", "--json")
    assert listed.returncode == 0
    assert set(SCENARIOS) <= {s["name"] for s in json.loads(listed.stdout)}
    shown = saga_stack.ecomctl("scenario", "order-happy-path", timeout=300)
    assert shown.returncode == 0, shown.stderr
    for text in ("timeline", "OrderCreated", "PaymentCompleted", "checks", "passed"):
        assert text in shown.stdout
    unknown = saga_stack.ecomctl("scenario", "no-such-scenario")
    assert unknown.returncode == 2 and "no scenario named" in unknown.stderr


def test_dlq_list_and_replay_a_real_dead_letter(saga_stack: SagaStack) -> None:  # noqa: F811
    tgt = saga_stack.target()
    log = EventLog(for_workspace(tgt.stack, tgt.workspace).kafka)
    topic, dlq = "order-shipped-events", "order-shipped-events.DLQ"
    key = f"dlq-test-{uuid.uuid4().hex[:8]}".encode()
    # Not an envelope: the notification consumer cannot decode it and dead-letters it at once.
    log.publish([Record(topic, 0, 0, 0, key, b"not json", [])])
    messages = _wait_for_key(saga_stack, dlq, key.decode())
    assert messages[0]["original_topic"] == topic and messages[0]["error"]

    replayed = saga_stack.ecomctl("dlq", "replay", dlq, "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["count"] >= 1
    assert len(_wait_for_key(saga_stack, dlq, key.decode(), at_least=2)) >= 2

    missing = saga_stack.ecomctl("dlq", "replay", dlq, "--id", "00000000-0000-0000-0000-0")
    assert missing.returncode == 1 and "is not in" in missing.stderr


def _wait_for_key(
    stack: SagaStack, dlq: str, key: str, *, at_least: int = 1, timeout_s: float = 90
) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    found: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        listed = stack.ecomctl("dlq", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        topics = {t["name"]: t for t in json.loads(listed.stdout)["topics"]}
        found = [m for m in topics.get(dlq, {}).get("messages", []) if m["key"] == key]
        if len(found) >= at_least:
            return found
        time.sleep(2)
    raise AssertionError(f"{at_least} dead letter(s) with key {key} expected on {dlq}: {found}")
