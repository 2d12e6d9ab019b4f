"""The scenario's trace check, on traces recorded from a real stack's Zipkin."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ecomctl.scenarios.model import TraceExpect
from ecomctl.scenarios.trace_check import trace_checks, trace_states
from ecomctl.scenarios.world import Adapters, World
from tests.unit.scenario_fakes import FakePlatform

FIXTURES = Path(__file__).parent / "fixtures"
STRIPE = "stripe create payment_intent"


class RecordedZipkin:
    def __init__(self, spans: list[dict[str, Any]]) -> None:
        self.spans = spans

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        return [s for s in self.spans if s["traceId"] == trace_id]

    def ui_url(self, trace_id: str) -> str:
        return f"http://zipkin/zipkin/traces/{trace_id}"


def recorded(name: str) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = json.loads((FIXTURES / f"zipkin_trace_{name}.json").read_text())
    return spans


def world_of(spans: list[dict[str, Any]]) -> World:
    fake: Adapters = FakePlatform().adapters()
    return World(adapters=Adapters(**{**vars(fake), "traces": RecordedZipkin(spans)}))


def check(spans: list[dict[str, Any]], expect: TraceExpect, trace_id: str | None = None):  # type: ignore[no-untyped-def]
    trace_id = trace_id or spans[0]["traceId"]
    state = {"traces": trace_states(world_of(spans), {"o1": {"trace_id": trace_id}})}
    (result,) = trace_checks(expect, state)
    return result


def test_a_paid_order_is_one_trace_without_errors() -> None:
    spans = recorded("paid")
    result = check(spans, TraceExpect())
    assert result.ok, result
    assert result.name == "trace of o1" and result.expected == "one trace, no error spans"
    assert spans[0]["traceId"] in result.actual and "http://zipkin/zipkin/traces/" in result.actual
    assert "7 services, 0 error spans" in result.actual


def test_a_declined_card_passes_only_when_its_error_span_is_named() -> None:
    spans = recorded("declined")
    assert check(spans, TraceExpect(error_spans=[STRIPE])).ok
    unexpected = check(spans, TraceExpect())
    assert not unexpected.ok and f"1 error spans ({STRIPE})" in unexpected.actual


def test_a_missing_parent_fails_the_check() -> None:
    spans = [s for s in recorded("paid") if s["name"] != "proxy order"]
    result = check(spans, TraceExpect())
    assert not result.ok and "missing parents" in result.actual


def test_a_trace_still_arriving_is_not_judged_yet() -> None:
    spans = recorded("paid")
    now_us = int(time.time() * 1e6)
    fresh = [{**s, "timestamp": now_us} for s in spans]
    result = check(fresh, TraceExpect())
    assert not result.ok and "waiting for its spans" in result.actual


def test_an_order_without_a_trace_id_or_a_stack_without_zipkin() -> None:
    world = world_of(recorded("paid"))
    (result,) = trace_checks(
        TraceExpect(), {"traces": trace_states(world, {"o1": {"trace_id": None}})}
    )
    assert not result.ok and "recorded no trace id" in result.actual
    no_zipkin = World(adapters=FakePlatform().adapters())
    assert trace_states(no_zipkin, {"o1": {"trace_id": "ab" * 16}}) == {}
