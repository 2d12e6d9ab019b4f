"""The switch: traffic moves to the canary step by step, each step judged by its figures.

At every step the weights change, the gateway is given time to route by them, then the
two colors are measured over the same window (each instance's /metrics, scraped at both
ends) and the gates decide: pass moves on, fail rolls back at once, too little data holds
the step for another window, judged with everything since the step began (at most
`max_holds` more; still nothing conclusive rolls back — an undecidable release is not
promoted). After the last step the old color is drained:
weight 0, then `scale_down_delay_s` for the requests and consumers in flight, then a
graceful stop (uvicorn finishes in-flight requests, the consumers commit and leave the
group) — and the canary's instances become the service's own.

Everything the switch does goes through `Ports`, so the loop is tested without a stack;
every decision is emitted as one event (the CLI draws it live or prints it as JSON).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ecomctl.rollout import state as rollout_state
from ecomctl.rollout.figures import Figures, Snapshot, figures, parse_metrics
from ecomctl.rollout.gates import Gate, Verdict, evaluate
from ecomctl.rollout.routing import Endpoint, RegistryApi, apply_split, share_of
from ecomctl.rollout.state import Rollout
from ecomctl.workspace import Workspace

Emit = Callable[[dict[str, Any]], None]
_CONSUMER_LABEL = re.compile(r'ecom_events_consumed_total\{[^}]*consumer="([^"]+)"')


@dataclass
class SwitchPlan:
    steps: list[int]
    pause_s: float
    gates: list[Gate]
    gate_text: str
    strategy: str = "canary"
    scale_down_delay_s: float = 30.0
    max_holds: int = 10
    min_requests: int = 20
    tick_s: float = 2.0


@dataclass
class Ports:
    """What the switch touches outside itself."""

    registry: RegistryApi
    scrape: Callable[[str], str]  # instance base URL -> its /metrics text
    settle: Callable[[str, dict[str, int]], bool]  # service, weights -> the gateway follows
    stop_color: Callable[[str, str], list[str]]  # service, color -> instances stopped
    promote: Callable[[str, str], None]  # service, color -> its instances become the service
    lag: Callable[[list[str]], int | None] = lambda groups: None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


class RolledBack(Exception):
    """The switch ended by putting all traffic back on the stable color."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Since:
    """Where a step's measurement starts: its instances, their metrics then, and when."""

    endpoints: list[Endpoint]
    scraped: dict[str, tuple[Snapshot, str]]
    at: float


@dataclass
class Window:
    """One measured window: both colors' figures and what the gates made of them."""

    step: int
    percent: int
    blue: Figures
    green: Figures
    verdict: Verdict
    seconds: float
    lag: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Switch:
    def __init__(
        self,
        workspace: Workspace,
        rollout: Rollout,
        plan: SwitchPlan,
        ports: Ports,
        emit: Emit,
    ) -> None:
        self.workspace = workspace
        self.rollout = rollout
        self.plan = plan
        self.ports = ports
        self.emit = emit

    # ---- the whole switch -----------------------------------------------------------------
    def run(self) -> Rollout:
        """Promotes, or raises RolledBack; KeyboardInterrupt leaves the weights as they are."""
        rollout = self.rollout
        rollout.phase = "switching"
        rollout.steps = list(self.plan.steps)
        rollout.strategy = self.plan.strategy
        rollout.gates = self.plan.gate_text
        self._save()
        try:
            while rollout.step_index < len(self.plan.steps):
                self._step(rollout.step_index, self.plan.steps[rollout.step_index])
                rollout.step_index += 1
                self._save()
        except KeyboardInterrupt:
            rollout.phase = "interrupted"
            rollout.record({"event": "interrupted", "weight": rollout.weight})
            self._save(driving=False)
            self.emit(
                {"event": "interrupted", "service": rollout.service, "weight": rollout.weight}
            )
            raise
        self._promote()
        return rollout

    def _step(self, index: int, percent: int) -> None:
        self._route(percent)
        # A held step goes on measuring from where it began: an inconclusive window is
        # too little traffic, and the next one judges it together with what came since.
        endpoints = self.ports.registry.endpoints(self.rollout.service)
        since = Since(endpoints, self._scrape_all(endpoints), self.ports.clock())
        holds = 0
        while True:
            window = self._measure(index, percent, since)
            status = window.verdict.status
            self._decided(window)
            if status == "pass":
                return
            if status == "fail":
                self._roll_back(f"step {percent}%: {window.verdict.summary()}")
            holds += 1
            if holds > self.plan.max_holds:
                self._roll_back(
                    f"step {percent}%: still inconclusive after {holds} windows "
                    f"({window.verdict.summary()})"
                )

    # ---- weights ----------------------------------------------------------------------------
    def _route(self, percent: int) -> list[Endpoint]:
        rollout = self.rollout
        endpoints = apply_split(
            self.ports.registry,
            rollout.service,
            stable=rollout.stable,
            canary=rollout.canary,
            canary_percent=percent,
        )
        rollout.weight = percent
        rollout.record({"event": "weights", "weight": percent})
        self._save()
        weights = {e.instance_id: e.weight for e in endpoints}
        followed = self.ports.settle(rollout.service, weights)
        self.emit(
            {
                "event": "weights",
                "service": rollout.service,
                "weight": percent,
                "colors": {
                    rollout.stable: share_of(endpoints, rollout.stable),
                    rollout.canary: share_of(endpoints, rollout.canary),
                },
                "gateway_following": followed,
            }
        )
        return endpoints

    # ---- measuring --------------------------------------------------------------------------
    def _measure(self, index: int, percent: int, since: Since) -> Window:
        endpoints, before, started = since.endpoints, since.scraped, since.at
        deadline = self.ports.clock() + self.plan.pause_s
        while (now := self.ports.clock()) < deadline:
            self.ports.sleep(min(self.plan.tick_s, deadline - now))
            if self.ports.clock() < deadline:
                blue, green, _ = self._figures(endpoints, before, self.ports.clock() - started)
                self.emit({"event": "tick", "weight": percent, **_figures_event(blue, green)})
        seconds = self.ports.clock() - started
        blue, green, groups = self._figures(endpoints, before, seconds)
        lag = self.ports.lag(groups) if groups else None
        # With all traffic on green, blue serves nothing to compare against.
        baseline = blue if percent < 100 else None
        verdict = evaluate(
            self.plan.gates,
            green,
            baseline,
            lag=lag,
            min_requests=self.plan.min_requests,
            names=(self.rollout.stable, self.rollout.canary),
        )
        return Window(index, percent, blue, green, verdict, seconds, lag)

    def _scrape_all(self, endpoints: list[Endpoint]) -> dict[str, tuple[Snapshot, str]]:
        taken: dict[str, tuple[Snapshot, str]] = {}
        for endpoint in endpoints:
            try:
                text = self.ports.scrape(endpoint.url)
            except Exception:  # an instance that does not answer counts as no data
                continue
            taken[endpoint.instance_id] = (parse_metrics(text), text)
        return taken

    def _figures(
        self,
        endpoints: list[Endpoint],
        before: dict[str, tuple[Snapshot, str]],
        seconds: float,
    ) -> tuple[Figures, Figures, list[str]]:
        after = self._scrape_all(endpoints)
        totals = {self.rollout.stable: Snapshot.empty(), self.rollout.canary: Snapshot.empty()}
        groups: set[str] = set()
        for endpoint in endpoints:
            if endpoint.instance_id not in after or endpoint.color not in totals:
                continue
            now, text = after[endpoint.instance_id]
            then = before.get(endpoint.instance_id, (Snapshot.empty(), ""))[0]
            totals[endpoint.color] = totals[endpoint.color] + (now - then)
            groups.update(_CONSUMER_LABEL.findall(text))
        window = max(seconds, 0.001)
        return (
            figures(totals[self.rollout.stable], window),
            figures(totals[self.rollout.canary], window),
            sorted(groups),
        )

    def _decided(self, window: Window) -> None:
        event = {
            "event": "analysis",
            "service": self.rollout.service,
            "step": window.step + 1,
            "of": len(self.plan.steps),
            "weight": window.percent,
            "seconds": round(window.seconds, 1),
            "verdict": window.verdict.status,
            "summary": window.verdict.summary(),
            "checks": window.verdict.to_dict().get("checks", []),
            "lag": window.lag,
            **_figures_event(window.blue, window.green),
        }
        self.rollout.record({k: v for k, v in event.items() if k != "checks"})
        self._save()
        self.emit(event)

    # ---- endings ----------------------------------------------------------------------------
    def _roll_back(self, reason: str) -> None:
        roll_back(self.workspace, self.rollout, self.ports, self.emit, reason=reason)
        raise RolledBack(reason)

    def _promote(self) -> None:
        rollout = self.rollout
        self.emit(
            {
                "event": "draining",
                "service": rollout.service,
                "color": rollout.stable,
                "delay_s": self.plan.scale_down_delay_s,
            }
        )
        # Weight 0 since the last step: no new requests reach the old color. The delay lets
        # requests in flight, and callers' cached instance lists, run out before it stops.
        self.ports.sleep(self.plan.scale_down_delay_s)
        stopped = self.ports.stop_color(rollout.service, rollout.stable)
        self.ports.promote(rollout.service, rollout.canary)
        rollout.phase = "promoted"
        rollout.record({"event": "promoted", "stopped": stopped})
        self._save(driving=False)
        self.emit(
            {
                "event": "promoted",
                "service": rollout.service,
                "color": rollout.canary,
                "version": rollout.canary_version,
                "stopped": stopped,
            }
        )

    def _save(self, *, driving: bool = True) -> None:
        save_driven(self.workspace, self.rollout, driving=driving)


def save_driven(workspace: Workspace, rollout: Rollout, *, driving: bool) -> None:
    """Saves the rollout, marked as driven by this process (or by none)."""
    if driving:
        import psutil

        me = psutil.Process()
        rollout.driver_pid, rollout.driver_started = me.pid, me.create_time()
    else:
        rollout.driver_pid = rollout.driver_started = None
    rollout_state.save(workspace, rollout)


def roll_back(
    workspace: Workspace, rollout: Rollout, ports: Ports, emit: Emit, *, reason: str
) -> list[str]:
    """All traffic to the stable color, then the canary's instances stop."""
    emit({"event": "rolling-back", "service": rollout.service, "reason": reason})
    endpoints = apply_split(
        ports.registry,
        rollout.service,
        stable=rollout.stable,
        canary=rollout.canary,
        canary_percent=0,
    )
    rollout.weight = 0
    save_driven(workspace, rollout, driving=True)
    ports.settle(rollout.service, {e.instance_id: e.weight for e in endpoints})
    stopped = ports.stop_color(rollout.service, rollout.canary)
    rollout.phase = "rolled-back"
    rollout.record({"event": "rolled-back", "reason": reason, "stopped": stopped})
    save_driven(workspace, rollout, driving=False)
    emit({"event": "rolled-back", "service": rollout.service, "reason": reason, "stopped": stopped})
    return stopped


def _figures_event(blue: Figures, green: Figures) -> dict[str, Any]:
    return {"stable": blue.to_dict(), "canary": green.to_dict()}
