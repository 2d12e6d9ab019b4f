"""`ecomctl logs` filters: the services' JSON lines merged in time order, by trace, level
and age; lines that are not the kit's JSON are left out of a filtered view."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ecomctl.errors import UsageError
from ecomctl.runtime.base import LogLine
from ecomctl.traces.logs import LogFilter, level_number, merged_in_time, parse

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
OTHER = "0af7651916cd43dd8448eb211c80319c"


def kit_line(component: str, at: str, message: str, *, level: str = "INFO",
             trace: str | None = TRACE) -> LogLine:  # fmt: skip
    record = {"time": f"2026-12-06T22:{at}+00:00", "level": level, "logger": "x",
              "message": message, "service": component, "correlation_id": None,
              "trace_id": trace}  # fmt: skip
    return LogLine(component, json.dumps(record))


LINES = [
    kit_line("order", "00:01.500000", "order 7 placed"),
    kit_line("order", "00:03.000000", "a later order", trace=OTHER),
    kit_line("payment", "00:01.200000", "card declined", level="WARNING"),
    kit_line("payment", "00:02.000000", "heartbeat", trace=None),
    kit_line("notification", "00:01.800000", "mail sent"),
    LogLine("kafka", "[2026-12-06 22:00:01,000] INFO started (kafka.server)"),
    LogLine("order", "Traceback (most recent call last):"),
]


def test_one_trace_across_services_in_time_order() -> None:
    found = merged_in_time(LINES, LogFilter(trace_id=TRACE))
    assert [(e.component, e.message) for e in found] == [
        ("payment", "card declined"),
        ("order", "order 7 placed"),
        ("notification", "mail sent"),
    ]
    assert found[0].to_json()["trace_id"] == TRACE and found[0].to_json()["component"] == "payment"


def test_level_and_since() -> None:
    warnings = merged_in_time(LINES, LogFilter(min_level=level_number("warn")))
    assert [e.message for e in warnings] == ["card declined"]
    since = datetime(2026, 12, 6, 22, 0, 2, tzinfo=UTC)
    assert [e.message for e in merged_in_time(LINES, LogFilter(since=since))] == [
        "heartbeat",
        "a later order",
    ]


def test_lines_that_are_not_kit_json_are_left_out() -> None:
    assert parse(LogLine("x", "{not json")) is None
    assert parse(LogLine("x", json.dumps({"message": "no time"}))) is None
    assert parse(LogLine("x", json.dumps({"time": "2026-12-06T22:00:00"}))) is None  # naive
    assert len(merged_in_time(LINES, LogFilter())) == 5


def test_an_exception_is_shown_with_its_traceback() -> None:
    record = {"time": "2026-12-06T22:00:00+00:00", "level": "ERROR", "message": "boom",
              "exc_info": "Traceback ...\nValueError: x"}  # fmt: skip
    entry = parse(LogLine("order", json.dumps(record)))
    assert entry is not None and entry.message == "boom\nTraceback ...\nValueError: x"


def test_an_unknown_level_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown level 'loud'"):
        level_number("loud")
