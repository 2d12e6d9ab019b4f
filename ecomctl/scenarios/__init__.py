"""Saga scenarios: drive the running stack as a client would and check every service after.

Core only (no typer/rich): `list_scenarios` and `run_scenario` are what `ecomctl scenario`
calls; the runner itself (`runner.run`) takes adapters, so unit tests run it on fakes.
"""

from __future__ import annotations

from ecomctl.operations import Target
from ecomctl.scenarios.loader import load, load_all
from ecomctl.scenarios.model import Scenario
from ecomctl.scenarios.result import CheckResult, ScenarioResult, StepResult
from ecomctl.scenarios.runner import StepListener, run

__all__ = [
    "CheckResult",
    "Scenario",
    "ScenarioResult",
    "StepResult",
    "list_scenarios",
    "run_scenario",
]


def list_scenarios(*, tgt: Target) -> list[Scenario]:
    return sorted(load_all(tgt.workspace.root), key=lambda s: s.name)


def run_scenario(
    *,
    tgt: Target,
    name: str,
    timeout_s: float | None = None,
    on_step: StepListener | None = None,
) -> ScenarioResult:
    from ecomctl.scenarios.live import live_adapters, wait_ready

    scenario = load(name, tgt.workspace.root)
    with live_adapters(tgt) as (adapters, ends):
        wait_ready(ends)
        return run(scenario, adapters, timeout_s=timeout_s, on_step=on_step)
