"""Gate expressions and the verdict of a canary step."""

from __future__ import annotations

import json

import pytest

from ecomctl.errors import UsageError
from ecomctl.rollout.gates import DEFAULT_GATES, Gate, evaluate, parse_gates
from tests.unit.rollout_support import latencies, window


def test_every_metric_unit_and_operator_parses() -> None:
    text = (
        "success>=99.5%, p95<=250ms ,p99<=1s,errors<=5,rps>=1,requests>=20,"
        "event_failures<=0,lag<=100,compare, error < 1 %, p50 <= 3, dead_lettered>0, rps>=2/s"
    )
    gates = parse_gates(text)
    assert gates[:3] == [
        Gate("success", ">=", 99.5, "%"),
        Gate("p95", "<=", 250, "ms"),
        Gate("p99", "<=", 1000, "s"),
    ]
    assert [str(g) for g in gates] == [
        "success>=99.5%", "p95<=250ms", "p99<=1s", "errors<=5", "rps>=1", "requests>=20",
        "event_failures<=0", "lag<=100", "compare", "error<1%", "p50<=3ms", "dead_lettered>0",
        "rps>=2",
    ]  # fmt: skip
    assert [str(g) for g in parse_gates(DEFAULT_GATES)] == ["success>=99%", "p95<=500ms", "compare"]


@pytest.mark.parametrize(
    ("text", "named", "accepted"),
    [
        ("p95<=fast", "'p95<=fast'", "p95<=250ms or p95<=1s"),
        ("succes>=99", "'succes'", "did you mean success?"),
        ("", "no gate given", "success>=99.5%,p95<=250ms,compare"),
        ("p95=<3ms", "'p95=<3ms'", "one of >= <= > <"),
        ("success>=99.5%,p95<=", "'p95<='", "p95<=250ms"),
        ("success>=101%", "'success>=101%'", "at most 100"),
        ("compare>=1", "'compare>=1'", "write just compare"),
        ("errors<=5x", "'5x'", "errors<=5"),
    ],
)
def test_a_gate_that_does_not_parse_is_one_readable_line(
    text: str, named: str, accepted: str
) -> None:
    with pytest.raises(UsageError) as raised:
        parse_gates(text)
    message = str(raised.value)
    assert "\n" not in message
    assert named in message and accepted in message


def test_a_good_green_passes_with_a_readable_summary() -> None:
    blue = window(latencies(1, 400), errors=1)
    green = window(latencies(2, 400))
    verdict = evaluate(parse_gates("success>=99.5%,p95<=250ms,compare"), green, blue)
    assert verdict.status == "pass"
    summary = verdict.summary()
    assert summary.startswith("success 100% >= 99.5% ok; p95 ")
    assert " ms <= 250 ms ok; compare latency: pass (p=" in summary
    assert "; compare errors: pass (p=" in summary
    assert json.loads(json.dumps(verdict.to_dict()))["status"] == "pass"


def test_a_green_with_30_percent_500s_fails_success_and_the_comparison() -> None:
    blue = window(latencies(1, 1000))
    green = window(latencies(2, 70), errors=30)
    verdict = evaluate(parse_gates("success>=99.5%,compare"), green, blue)
    assert verdict.status == "fail"
    by_name = {check.name: check for check in verdict.checks}
    assert by_name["success"].status == "fail"
    assert by_name["success"].line() == "success 70% >= 99.5% fail"
    assert by_name["compare errors"].status == "fail"
    assert by_name["compare errors"].comparison is not None


def test_a_green_300_ms_slower_fails_the_comparison_and_p95() -> None:
    blue = window(latencies(1, 400))
    green = window(latencies(2, 100, shift_s=0.3))
    verdict = evaluate(parse_gates(DEFAULT_GATES), green, blue)
    assert verdict.status == "fail"
    statuses = {check.name: check.status for check in verdict.checks}
    assert statuses == {
        "success": "pass", "p95": "pass", "compare latency": "fail", "compare errors": "pass",
    }  # fmt: skip
    assert evaluate(parse_gates("p95<=250ms"), green, blue).status == "fail"


def test_too_few_requests_hold_the_step_instead_of_passing_it() -> None:
    green = window([0.01] * 10)
    verdict = evaluate(parse_gates("success>=99%,p95<=250ms,requests>=5"), green, None)
    assert verdict.status == "inconclusive"
    assert verdict.summary() == (
        "success n/a (10 of 20 requests) >= 99% inconclusive; "
        "p95 n/a (10 of 20 requests) <= 250 ms inconclusive; requests 10 >= 5 ok"
    )
    assert evaluate(parse_gates("p95<=250ms"), green, None, min_requests=10).status == "pass"


def test_fail_beats_inconclusive() -> None:
    green = window([0.01] * 10, errors=2)
    verdict = evaluate(parse_gates("p95<=250ms,errors<=1"), green, None)
    assert [c.status for c in verdict.checks] == ["inconclusive", "fail"]
    assert verdict.status == "fail"


def test_a_rate_gate_that_cannot_pass_anymore_fails_before_min_requests() -> None:
    # A 10 % canary of a bad release sees few requests; 3 errors in 10 already break 99 %.
    bad = window([0.01] * 7, errors=3)
    verdict = evaluate(parse_gates("success>=99%,error<=1%"), bad, None)
    assert [c.status for c in verdict.checks] == ["fail", "fail"]
    assert verdict.checks[0].line() == "success 3 errors in 10 requests >= 99% fail"
    # One error in 10 is still undecided against 90 %: 19 of 20 would pass it.
    unsure = evaluate(parse_gates("success>=90%"), window([0.01] * 9, errors=1), None)
    assert unsure.status == "inconclusive"


def test_lag_and_event_gates() -> None:
    green = window([0.01] * 50)
    gates = parse_gates("lag<=100,event_failures<=0")
    assert evaluate(gates, green, None, lag=3).status == "pass"
    assert evaluate(gates, green, None, lag=500).status == "fail"
    unknown = evaluate(gates, green, None, lag=None)
    assert unknown.status == "inconclusive"
    assert unknown.checks[0].line() == "lag unknown <= 100 inconclusive"


def test_without_blue_the_comparison_is_skipped_and_absolute_gates_decide() -> None:
    verdict = evaluate(parse_gates("success>=99%,compare"), window([0.01] * 50), None)
    assert verdict.status == "pass"
    assert verdict.summary() == "success 100% >= 99% ok; compare: skipped (no blue figures)"


def test_a_comparison_on_too_little_traffic_is_inconclusive() -> None:
    verdict = evaluate(parse_gates("compare"), window([0.01] * 30), window([0.01] * 500))
    assert verdict.status == "inconclusive"
    assert verdict.checks[0].line() == (
        "compare latency: inconclusive (blue 500, green 30 requests, too few)"
    )


def test_the_summary_names_the_colors_as_they_are_after_a_promotion() -> None:
    # green serves since the last release; the new version runs blue
    verdict = evaluate(
        parse_gates("compare"), window([0.01] * 30), window([0.01] * 500), names=("green", "blue")
    )
    assert verdict.checks[0].line() == (
        "compare latency: inconclusive (green 500, blue 30 requests, too few)"
    )
    skipped = evaluate(parse_gates("compare"), window([0.01] * 30), None, names=("green", "blue"))
    assert skipped.summary() == "compare: skipped (no green figures)"
