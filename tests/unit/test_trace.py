"""`ecomctl trace`: the tree built from traces recorded from a real stack's Zipkin (one
paid order, one declined card), its rendering, and the lookup's rules."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ecomctl.cli.app import app
from ecomctl.cli.trace import render
from ecomctl.errors import UsageError, UserError
from ecomctl.traces.lookup import FoundTrace, parse_ref, wait_for_spans
from ecomctl.traces.tree import TraceTree, build_tree
from ecomctl.traces.zipkin import ZipkinClient, ZipkinUnavailable

FIXTURES = Path(__file__).parent / "fixtures"
SAGA = {"gateway", "user-auth", "product-catalog", "order", "inventory", "payment", "notification"}


def recorded(name: str) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = json.loads((FIXTURES / f"zipkin_trace_{name}.json").read_text())
    return spans


def kafka_hops(tree: TraceTree) -> list[tuple[str, list[str]]]:
    """(topic a producer sent to, services whose consumer spans hang under it)."""
    return [
        (p.name.removeprefix("send "), [c.service for c in p.children if c.kind == "CONSUMER"])
        for p in tree.spans
        if p.kind == "PRODUCER"
    ]


def test_a_paid_order_is_one_tree_under_the_gateway() -> None:
    tree = build_tree(recorded("paid"))
    assert len(tree.spans) == 27 and not tree.orphans and not tree.errors
    assert set(tree.services) == SAGA
    (root,) = tree.roots
    assert (root.service, root.kind, root.parent_id) == ("gateway", "SERVER", None)
    assert [(c.service, c.kind) for c in root.children] == [("gateway", "CLIENT")]
    hops = dict(kafka_hops(tree))
    assert sorted(hops["order-created-events"]) == ["inventory", "notification"]
    assert hops["payment-completed-events"] and hops["order-paid-events"]
    # Every consumer span is the child of the producer span of its record.
    consumers = [s for s in tree.spans if s.kind == "CONSUMER"]
    by_id = {s.id: s for s in tree.spans}
    assert consumers and all(by_id[c.parent_id or ""].kind == "PRODUCER" for c in consumers)
    assert any(s.name == "stripe create payment_intent" for s in tree.spans)
    assert any(s.name == "smtp send" for s in tree.spans)


def test_a_declined_card_names_its_error_and_shows_the_compensations() -> None:
    tree = build_tree(recorded("declined"))
    (error,) = tree.errors
    assert (error.service, error.kind) == ("payment", "CLIENT")
    assert "declined" in (error.error or "")
    hops = dict(kafka_hops(tree))
    assert sorted(hops["payment-failed-events"]) == ["inventory", "notification", "order"]
    assert sorted(hops["order-cancelled-events"]) == ["inventory", "notification", "payment"]
    assert len(tree.roots) == 1 and not tree.orphans


def test_a_missing_parent_shows_as_an_orphan_root() -> None:
    spans = recorded("paid")
    proxy = next(s for s in spans if s["name"] == "proxy order")
    tree = build_tree([s for s in spans if s is not proxy])
    assert len(tree.roots) == 2
    (orphan,) = tree.orphans
    assert orphan.parent_id == proxy["id"] and orphan.service == "order"


def test_a_span_zipkin_holds_twice_counts_once() -> None:
    spans = recorded("paid")
    tree = build_tree([*spans, copy.deepcopy(spans[3])])
    assert len(tree.spans) == len(spans)


def test_offsets_and_json_document() -> None:
    tree = build_tree(recorded("declined"))
    document = tree.to_json()
    assert document["spanCount"] == 31 and document["errors"] == 1
    root = document["roots"][0]
    assert root["startOffsetMs"] == 0 and root["durationMs"] > 0
    offsets = [tree.offset_ms(s) for s in tree.spans]
    assert min(offsets) == 0 and max(offsets) < document["durationMs"]
    json.dumps(document)  # plain JSON all the way down


def test_empty_trace_is_refused() -> None:
    with pytest.raises(ValueError):
        build_tree([])


def test_render_shows_services_operations_and_the_error() -> None:
    tree = build_tree(recorded("declined"))
    console = Console(width=200, record=True, color_system=None)
    console.print(render(FoundTrace(tree, 6, "http://zipkin/traces/x")))
    text = console.export_text()
    assert f"trace {tree.trace_id}" in text and "31 spans, 7 services" in text
    assert "gateway server post order  +0.0 ms" in text
    assert "error: CardError: Your card was declined." in text
    assert "consumer consume order-cancelled-events" in text


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("42", (42, None)),
        ("4BF92F3577B34DA6A3CE929D0E0E4736", (None, "4bf92f3577b34da6a3ce929d0e0e4736")),
        ("00f067aa0ba902b7", (None, "00f067aa0ba902b7")),
    ],
)
def test_parse_ref(ref: str, expected: tuple[int | None, str | None]) -> None:
    assert parse_ref(ref) == expected


@pytest.mark.parametrize("ref", ["", "0", "-3", "xyz", "4bf92f35", "12345678901234567890"])
def test_parse_ref_refuses_anything_else(ref: str) -> None:
    with pytest.raises(UsageError):
        parse_ref(ref)


class GrowingZipkin(ZipkinClient):
    """Answers from the recorded trace, a few more spans per poll (as batches arrive)."""

    def __init__(self, spans: list[dict[str, Any]], per_poll: int) -> None:
        super().__init__("http://zipkin.invalid")
        self.spans, self.per_poll, self.polls = spans, per_poll, 0

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        self.polls += 1
        return self.spans[: self.polls * self.per_poll]


def test_a_fresh_trace_is_polled_until_every_batch_can_have_arrived() -> None:
    spans = recorded("paid")
    zipkin = GrowingZipkin(spans, per_poll=10)
    last_end = max(s["timestamp"] + s["duration"] for s in spans) / 1e6
    now = [last_end + 1.0]  # one second after the trace's last span: batches still coming

    def sleep(seconds: float) -> None:
        now[0] += seconds

    got = wait_for_spans(zipkin, "t", wait_s=60, poll_s=2, sleep=sleep, clock=lambda: now[0])
    assert len(got) == len(spans) and zipkin.polls == 4  # at +1, +3, +5, +7 s


def test_an_old_trace_is_read_once() -> None:
    zipkin = GrowingZipkin(recorded("paid"), per_poll=100)
    assert len(wait_for_spans(zipkin, "t", wait_s=60, poll_s=1)) == 27
    assert zipkin.polls == 1


def test_a_trace_never_seen_is_a_clear_error() -> None:
    zipkin = GrowingZipkin([], per_poll=1)
    with pytest.raises(UserError, match="not in Zipkin"):
        wait_for_spans(zipkin, "abc", wait_s=0, poll_s=0, sleep=lambda _s: None)


def test_zipkin_client_maps_not_found_and_unreachable() -> None:
    missing = httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(404)))
    assert ZipkinClient("http://z", client=missing).trace("abc") == []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    down = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(ZipkinUnavailable, match="not answering"):
        ZipkinClient("http://z", client=down).trace("abc")


def test_help_has_examples() -> None:
    result = CliRunner().invoke(app, ["trace", "--help"], env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.exit_code == 0
    assert "ecomctl trace 42" in result.output and "--json" in result.output
