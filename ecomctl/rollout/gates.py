"""Gate expressions (`--gate "success>=99.5%,p95<=250ms,compare"`) and the verdict of a step.

A step has three outcomes, not two: "inconclusive" (too little traffic to tell) holds the
step, so a quiet service is never promoted on the strength of no requests.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from ecomctl.errors import UsageError
from ecomctl.rollout.compare import Comparison, compare_errors, compare_latency
from ecomctl.rollout.figures import Figures

Outcome = Literal["pass", "fail", "inconclusive"]
CheckStatus = Literal["pass", "fail", "inconclusive", "skipped"]

PERCENTS = ("success", "error")
LATENCIES = ("p50", "p95", "p99")
NUMBERS = ("rps", "requests", "errors", "event_failures", "dead_lettered", "lag")
COMPARE = "compare"
METRICS = (*PERCENTS, *LATENCIES, *NUMBERS)
# Judged on the requests of the window: below min_requests they say nothing yet.
NEED_TRAFFIC = (*PERCENTS, *LATENCIES)
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}  # fmt: skip
DEFAULT_GATES = "success>=99%,p95<=500ms,compare"
EXAMPLE = "success>=99.5%,p95<=250ms,compare"

_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(.*)")
_OPERATOR = re.compile(r"(>=|<=|>|<)\s*(.*)")
_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
# What a threshold looks like for each kind of metric, and how to say it to a user.
_VALUES = {
    "percent": (re.compile(_NUMBER + r"\s*%?"), "a percentage", "{m}{op}99.5%"),
    "latency": (re.compile(_NUMBER + r"\s*(ms|s)?"), "a duration", "{m}{op}250ms or {m}{op}1s"),
    "number": (re.compile(_NUMBER + r"\s*(/s)?"), "a number", "{m}{op}5"),
}


@dataclass(frozen=True)
class Gate:
    """`metric op threshold`; thresholds in percent, milliseconds or plain numbers.
    The metric "compare" (no operator) turns on the comparisons of green with blue."""

    metric: str
    op: str = ""
    threshold: float = 0.0
    unit: str = ""  # as the user wrote it: "%", "ms", "s" or ""

    def value_text(self) -> str:
        if self.unit == "s":
            return f"{_num(self.threshold / 1000)} s"
        return f"{_num(self.threshold)}{' ms' if self.unit == 'ms' else self.unit}"

    def __str__(self) -> str:
        if self.metric == COMPARE:
            return COMPARE
        return f"{self.metric}{self.op}{self.value_text().replace(' ', '')}"


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def parse_gates(text: str) -> list[Gate]:
    """Gates from a comma-separated expression; one readable UsageError line if one is bad."""
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise UsageError(f"no gate given: write gates like {EXAMPLE}")
    return [_parse_gate(part) for part in parts if part]


def _parse_gate(part: str) -> Gate:
    if part.lower() == COMPARE:
        return Gate(COMPARE)
    named = _NAME.fullmatch(part)
    if named is None:
        _bad(part, "write a gate as METRIC OP VALUE, like p95<=250ms")
    metric, rest = named.group(1).lower(), named.group(2)
    if metric == COMPARE:
        _bad(part, "compare takes no operator or value: write just compare")
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, [*METRICS, COMPARE], n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        known = ", ".join(METRICS)
        _bad(part, f"unknown metric {metric!r}{guess}; metrics: {known}, or {COMPARE}")
    kind = "percent" if metric in PERCENTS else "latency" if metric in LATENCIES else "number"
    pattern, what, example = _VALUES[kind]
    compared = _OPERATOR.fullmatch(rest)
    if compared is None:
        like = example.format(m=metric, op="<=")
        _bad(part, f"the operator must be one of >= <= > <, like {like}")
    op, value = compared.groups()
    found = pattern.fullmatch(value)
    if found is None:
        bare = " (a bare number is ms)" if kind == "latency" else ""
        _bad(part, f"{value!r} is not {what}; write {example.format(m=metric, op=op)}{bare}")
    threshold = float(found.group(1))
    if kind == "percent":
        if threshold > 100:
            _bad(part, f"a percentage is at most 100, like {metric}{op}99.5%")
        return Gate(metric, op, threshold, "%")
    if kind == "latency":
        unit = found.group(2) or "ms"
        return Gate(metric, op, threshold * (1000 if unit == "s" else 1), unit)
    return Gate(metric, op, threshold)


def _bad(part: str, problem: str) -> NoReturn:
    raise UsageError(f"bad gate {part!r}: {problem}")


@dataclass(frozen=True)
class Check:
    """One gate or comparison applied to a window: e.g. name "p95", expected "<= 250 ms",
    actual "212 ms"."""

    name: str
    expected: str
    actual: str
    status: CheckStatus
    comparison: Comparison | None = None

    def line(self) -> str:
        if self.name.startswith(COMPARE):
            return f"{self.name}: {self.status} ({self.actual})"
        word = "ok" if self.status == "pass" else self.status
        return f"{self.name} {self.actual} {self.expected} {word}"

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "name": self.name, "expected": self.expected, "actual": self.actual,
            "status": self.status,
        }  # fmt: skip
        if self.comparison is not None:
            found["comparison"] = self.comparison.to_dict()
        return found


@dataclass(frozen=True)
class Verdict:
    """The decision of one step: fail beats inconclusive beats pass."""

    status: Outcome
    checks: tuple[Check, ...]

    def summary(self) -> str:
        return "; ".join(check.line() for check in self.checks) or "no gates"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "summary": self.summary(),
            "checks": [check.to_dict() for check in self.checks],
        }


def evaluate(
    gates: Sequence[Gate],
    green: Figures,
    blue: Figures | None,
    *,
    lag: int | None = None,
    min_requests: int = 20,
    names: tuple[str, str] = ("blue", "green"),
) -> Verdict:
    """Apply `gates` to green's figures of a window (and blue's of the same window for
    `compare`; without blue the comparisons are skipped, the absolute gates still hold).

    `lag` is green's consumer group lag, None when unknown (a lag gate is then
    inconclusive). Gates on rates and percentiles are inconclusive below `min_requests`
    green requests; counts (requests, errors, rps, events, lag) are judged as they are.
    """
    checks = [_check(g, green, lag, min_requests) for g in gates if g.metric != COMPARE]
    if any(g.metric == COMPARE for g in gates):
        checks.extend(_comparisons(green, blue, names))
    statuses = {check.status for check in checks}
    status: Outcome = (
        "fail" if "fail" in statuses else "inconclusive" if "inconclusive" in statuses else "pass"
    )
    return Verdict(status, tuple(checks))


def _check(gate: Gate, green: Figures, lag: int | None, min_requests: int) -> Check:
    expected = f"{gate.op} {gate.value_text()}"
    if gate.metric in NEED_TRAFFIC and green.requests < min_requests:
        doomed = _doomed(gate, green, min_requests)
        if doomed is not None:
            return doomed
        actual = f"n/a ({green.requests} of {min_requests} requests)"
        return Check(gate.metric, expected, actual, "inconclusive")
    value = _actual(gate.metric, green, lag)
    if value is None:
        return Check(gate.metric, expected, "unknown", "inconclusive")
    passed = OPERATORS[gate.op](value, gate.threshold)
    return Check(gate.metric, expected, _shown(gate, value), "pass" if passed else "fail")


def _doomed(gate: Gate, green: Figures, min_requests: int) -> Check | None:
    """A rate gate that fails even if every request still missing to `min_requests`
    succeeds: 3 errors in 10 requests already break "success>=99%". A bad canary at a small
    step then fails at once instead of holding the step while it keeps failing requests."""
    best_error_pct = 100.0 * green.errors / min_requests
    if gate.metric == "success" and gate.op in (">=", ">"):
        best = 100.0 - best_error_pct
    elif gate.metric == "error" and gate.op in ("<=", "<"):
        best = best_error_pct
    else:
        return None
    if OPERATORS[gate.op](best, gate.threshold):
        return None
    actual = f"{green.errors} errors in {green.requests} requests"
    return Check(gate.metric, f"{gate.op} {gate.value_text()}", actual, "fail")


def _actual(metric: str, green: Figures, lag: int | None) -> float | None:
    if metric == "lag":
        return lag
    if metric in LATENCIES:
        found: float | None = getattr(green, f"{metric}_ms")
        return found
    if metric in PERCENTS:
        return green.success_pct if metric == "success" else green.error_pct
    return float(getattr(green, metric))


def _shown(gate: Gate, value: float) -> str:
    if gate.metric in LATENCIES:
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    return f"{_num(value)}{gate.unit}"


def _comparisons(green: Figures, blue: Figures | None, names: tuple[str, str]) -> list[Check]:
    stable, canary = names
    if blue is None:
        return [Check(COMPARE, f"{canary} vs {stable}", f"no {stable} figures", "skipped")]
    found = [
        compare_latency(blue.latency, green.latency, names=names),
        compare_errors(blue, green, names=names),
    ]
    return [_comparison_check(c, names) for c in found]


def _comparison_check(comparison: Comparison, names: tuple[str, str]) -> Check:
    stable, canary = names
    if comparison.p_value is None:
        actual = (
            f"{stable} {comparison.n_baseline}, {canary} {comparison.n_canary} requests, too few"
        )
    else:
        actual = f"p={comparison.p_value:.2g}"
    expected = f"{canary} {comparison.metric} not worse than {stable}"
    name = f"{COMPARE} {comparison.metric}"
    return Check(name, expected, actual, comparison.verdict, comparison)
