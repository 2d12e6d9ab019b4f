"""Run one scenario: its steps in order, then its checks, then the timeline.

Checks are retried until they all hold or the scenario's time is up, because the last effects
of a saga (an email, a stock confirmation) land a little after the order's final status.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from ecomctl.errors import EcomctlError
from ecomctl.scenarios import checks, timeline
from ecomctl.scenarios.model import Scenario, Step
from ecomctl.scenarios.result import CheckResult, ScenarioResult, StepResult
from ecomctl.scenarios.steps import HANDLERS
from ecomctl.scenarios.world import Adapters, World

CHECK_POLL_S = 0.5
CHECK_WINDOW_MIN_S = 10.0  # checks get at least this long, even when the steps used the time

StepListener = Callable[[StepResult], None]


def run(
    scenario: Scenario,
    adapters: Adapters,
    *,
    timeout_s: float | None = None,
    on_step: StepListener | None = None,
) -> ScenarioResult:
    world = World(adapters=adapters)
    world.deadline = world.started + (timeout_s or scenario.timeout_s)
    result = ScenarioResult(scenario.name, scenario.description)
    world.start_offsets = checks.start_offsets(world)
    try:
        for number, step in enumerate(scenario.steps, 1):
            outcome = _run_step(world, number, step)
            result.steps.append(outcome)
            if on_step:
                on_step(outcome)
            if not outcome.ok:
                result.error = f"step {number} ({step.action}) failed: {outcome.detail}"
                break
    finally:
        for service in sorted(world.paused):  # never leave a service stopped behind
            adapters.services.resume(service)
        for service in sorted(world.deployed):  # nor a release half done
            if adapters.releases is not None:
                adapters.releases.abandon(service)
    state, result.checks = _settle_checks(scenario, world, checking=result.error is None)
    for followed in world.watches.values():
        followed.close()
    result.final_state = {k: v for k, v in state.items() if k != "event_ids"}
    result.timeline = _timeline(world)
    result.duration_s = time.monotonic() - world.started
    return result


def _run_step(world: World, number: int, step: Step) -> StepResult:
    began = time.monotonic()
    ok, summary, detail = True, step.action, ""
    try:
        summary = HANDLERS[step.action](world, step.spec)
    except EcomctlError as exc:
        ok, detail = False, str(exc)
    except Exception as exc:  # a service answering garbage is a failed step, not a crash
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return StepResult(
        number=number,
        action=step.action,
        summary=summary,
        ok=ok,
        started_s=began - world.started,
        duration_s=time.monotonic() - began,
        detail=detail,
    )


def _settle_checks(
    scenario: Scenario, world: World, *, checking: bool
) -> tuple[dict[str, object], list[CheckResult]]:
    """Evaluate until every check holds or time is up; the last evaluation is the answer."""
    until = max(world.deadline, time.monotonic() + CHECK_WINDOW_MIN_S) if checking else 0.0
    while True:
        state = checks.collect_state(world)
        results = checks.evaluate(scenario.expect, world, state)
        if all(r.ok for r in results) or time.monotonic() >= until:
            return state, results
        time.sleep(CHECK_POLL_S)


def _timeline(world: World) -> list[timeline.Entry]:
    entries = list(world.client_entries)
    with contextlib.suppress(EcomctlError):
        entries += timeline.from_records(checks.saga_records(world), world.order_names())
    for name, order in world.orders.items():
        try:
            rows = world.adapters.api.order_events(world.user(order.user).token, order.id)
        except Exception:  # the timeline is best effort; checks already said what failed
            continue
        entries += timeline.from_order_events(rows, name)
    return timeline.assemble(entries)
