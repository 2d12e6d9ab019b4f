"""SLO parsing and the verdict per gate; options checked before any load."""

from __future__ import annotations

import pytest

from ecomctl.errors import UsageError
from ecomctl.loadtest.options import build_options, parse_duration
from ecomctl.loadtest.slo import DEFAULT_SLO, evaluate, parse_slo


def test_default_slo_parses_to_three_gates() -> None:
    gates = {g.name: g for g in parse_slo(DEFAULT_SLO)}
    assert gates["p95"].limit == 200 and gates["p95"].at_most
    assert gates["errors"].limit == pytest.approx(0.001) and gates["errors"].at_most
    assert gates["completion"].limit == pytest.approx(0.95) and not gates["completion"].at_most


def test_seconds_and_rps() -> None:
    gates = {g.name: g for g in parse_slo("p99=1.5s, rps=40")}
    assert gates["p99"].limit == 1500 and gates["rps"].limit == 40


@pytest.mark.parametrize(
    "text", ["p95", "p95=fast", "p42=10ms", "errors=5", "completion=150%", "speed=1", ","]
)
def test_malformed_slo_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_slo(text)


def test_verdict_names_the_failing_gate() -> None:
    gates = parse_slo("p95=1ms,errors=1%,completion=95%")
    verdicts = evaluate(gates, {"p95": 12.0, "errors": 0.0, "completion": None})
    assert [(v.gate.name, v.ok) for v in verdicts] == [
        ("p95", False),
        ("errors", True),
        ("completion", True),  # no orders placed: nothing to miss
    ]
    assert verdicts[0].shown == "12ms" and verdicts[2].shown.startswith("n/a")


def test_completion_below_target_fails() -> None:
    (verdict,) = evaluate(parse_slo("completion=95%"), {"completion": 0.9})
    assert not verdict.ok and verdict.shown == "90.00%"


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60), ("2m", 120), ("500ms", 0.5), ("7", 7)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"profile": "nope"}, "unknown profile"),
        ({"shape": "zigzag"}, "unknown shape"),
        ({"users": 0}, "--users"),
        ({"users": 100_000}, "--users"),
        ({"duration": "soon"}, "malformed duration"),
        ({"duration": "5h"}, "--duration"),
        ({"spawn_rate": 0}, "--spawn-rate"),
        ({"slo": "p95=x"}, "malformed SLO"),
    ],
)
def test_bad_options(change: dict[str, object], message: str) -> None:
    kwargs: dict[str, object] = {
        "profile": "mixed",
        "users": 5,
        "spawn_rate": 2.0,
        "duration": "10s",
        "shape": "steady",
        "slo": DEFAULT_SLO,
    } | change
    with pytest.raises(UsageError, match=message):
        build_options(**kwargs)  # type: ignore[arg-type]
