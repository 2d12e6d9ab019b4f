"""What a scenario run returns: steps with timings, checks, the timeline and the final state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecomctl.scenarios.timeline import Entry


@dataclass
class StepResult:
    number: int
    action: str
    summary: str
    ok: bool
    started_s: float  # since the scenario started
    duration_s: float
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "action": self.action,
            "summary": self.summary,
            "ok": self.ok,
            "started_s": round(self.started_s, 3),
            "duration_s": round(self.duration_s, 3),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CheckResult:
    name: str  # e.g. "order o1 status"
    ok: bool
    expected: Any
    actual: Any

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "expected": self.expected, "actual": self.actual}


@dataclass
class ScenarioResult:
    name: str
    description: str
    steps: list[StepResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    timeline: list[Entry] = field(default_factory=list)
    final_state: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    error: str | None = None  # why the steps stopped early, if they did

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and all(step.ok for step in self.steps)
            and bool(self.checks)
            and all(check.ok for check in self.checks)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "ok": self.ok,
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
            "steps": [s.to_json() for s in self.steps],
            "checks": [c.to_json() for c in self.checks],
            "timeline": [e.to_json() for e in self.timeline],
            "final_state": self.final_state,
        }
