"""Service-level objectives as gates: parsed from `p95=200ms,errors=0.1%,completion=95%`,
evaluated against a run's totals. Kept free of Locust so it is cheap to test and reuse."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecomctl.errors import UsageError

DEFAULT_SLO = "p95=200ms,errors=0.1%,completion=95%"
_PERCENTILE = re.compile(r"^p(50|75|90|95|99|99\.9)$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Gate:
    """One objective. `limit` is in ms for latencies, a fraction (0.001) for rates,
    requests/s for rps. `at_most` says which side of the limit holds."""

    name: str
    limit: float
    at_most: bool
    text: str  # as the user wrote it, for the verdict line

    def holds(self, actual: float) -> bool:
        return actual <= self.limit if self.at_most else actual >= self.limit


@dataclass(frozen=True)
class Verdict:
    gate: Gate
    actual: float | None  # None: not applicable (no orders were placed)
    ok: bool
    shown: str  # the actual value, formatted like the gate

    def to_json(self) -> dict[str, object]:
        return {
            "gate": self.gate.name,
            "objective": self.gate.text,
            "limit": self.gate.limit,
            "actual": self.actual,
            "shown": self.shown,
            "ok": self.ok,
        }


def parse_slo(text: str) -> list[Gate]:
    """`p95=200ms,errors=0.1%,completion=95%,rps=50` -> gates; a bad part is a UsageError."""
    gates: dict[str, Gate] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip().lower()
        if not sep or not value:
            raise UsageError(f"malformed SLO {part!r}: expected NAME=VALUE, e.g. p95=200ms")
        gates[key] = _gate(key, value, part)
    if not gates:
        raise UsageError(f"malformed SLO {text!r}: no gates (e.g. {DEFAULT_SLO})")
    return list(gates.values())


def _gate(key: str, value: str, text: str) -> Gate:
    if _PERCENTILE.match(key):
        found = _DURATION.match(value)
        if not found:
            raise UsageError(f"malformed SLO {text!r}: a latency needs ms or s, e.g. {key}=200ms")
        factor = 1.0 if found.group(2) == "ms" else 1000.0
        return Gate(key, float(found.group(1)) * factor, True, text)
    if key in ("errors", "completion"):
        found = _PERCENT.match(value)
        if not found or float(found.group(1)) > 100:
            raise UsageError(f"malformed SLO {text!r}: {key} needs a percentage, e.g. {key}=1%")
        return Gate(key, float(found.group(1)) / 100, key == "errors", text)
    if key == "rps":
        found = _NUMBER.match(value)
        if not found:
            raise UsageError(f"malformed SLO {text!r}: rps needs a number, e.g. rps=50")
        return Gate(key, float(found.group(1)), False, text)
    raise UsageError(
        f"unknown SLO gate {key!r}: use p50/p75/p90/p95/p99 (ms|s), errors (%), completion (%), rps"
    )


def evaluate(gates: list[Gate], measured: dict[str, float | None]) -> list[Verdict]:
    """`measured` has p50..p99 in ms, errors and completion as fractions, rps. A gate whose
    figure is None (completion with no orders placed) holds: there was nothing to miss."""
    verdicts = []
    for gate in gates:
        actual = measured.get(gate.name)
        ok = True if actual is None else gate.holds(actual)
        verdicts.append(Verdict(gate, actual, ok, _show(gate.name, actual)))
    return verdicts


def _show(name: str, actual: float | None) -> str:
    if actual is None:
        return "n/a (no orders)"
    if name in ("errors", "completion"):
        return f"{actual * 100:.2f}%"
    if name == "rps":
        return f"{actual:.1f}"
    return f"{actual:.0f}ms"
