"""The switch loop on a stack in memory: promotion, rollback, holds, interruption."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomctl.rollout import state as rollout_state
from ecomctl.rollout.gates import parse_gates
from ecomctl.rollout.state import Rollout
from ecomctl.rollout.switch import RolledBack, Switch, SwitchPlan
from ecomctl.workspace import Workspace
from tests.unit.rollout_fakes import FakeInstance, FakeStack


def plan(gates: str = "success>=99%,p95<=250ms,compare", **overrides: object) -> SwitchPlan:
    chosen = SwitchPlan(
        steps=[10, 50, 100],
        pause_s=30,
        gates=parse_gates(gates),
        gate_text=gates,
        scale_down_delay_s=5,
        min_requests=10,
    )
    for key, value in overrides.items():
        setattr(chosen, key, value)
    return chosen


def stack_with(green: FakeInstance) -> FakeStack:
    return FakeStack([FakeInstance("order-blue", "blue", weight=100), green])


def run(tmp_path: Path, stack: FakeStack, chosen: SwitchPlan) -> tuple[Rollout, list[dict]]:
    workspace = Workspace(tmp_path)
    rollout = Rollout(service="order", stable="blue", canary="green")
    events: list[dict] = []
    Switch(workspace, rollout, chosen, stack.ports(), events.append).run()
    return rollout, events


def test_a_good_green_is_promoted_and_blue_drained(tmp_path: Path) -> None:
    stack = stack_with(FakeInstance("order-green", "green"))
    rollout, events = run(tmp_path, stack, plan())
    assert rollout.phase == "promoted"
    assert [e["weight"] for e in events if e["event"] == "weights"] == [10, 50, 100]
    assert [e["verdict"] for e in events if e["event"] == "analysis"] == ["pass"] * 3
    assert stack.stopped == ["order-blue"] and stack.promoted == ["green"]
    saved = rollout_state.load(Workspace(tmp_path), "order")
    assert saved is not None and saved.phase == "promoted" and saved.driver_pid is None


def test_a_green_answering_500s_is_rolled_back_at_the_first_step(tmp_path: Path) -> None:
    stack = stack_with(FakeInstance("order-green", "green", error_rate=0.3))
    with pytest.raises(RolledBack, match="step 10%"):
        run(tmp_path, stack, plan())
    assert stack.instances["order-blue"].weight == 1000
    assert stack.stopped == ["order-green"] and stack.promoted == []
    green_share = stack.instances["order-blue"]  # blue took everything back
    assert green_share.weight == 1000
    saved = rollout_state.load(Workspace(tmp_path), "order")
    assert saved is not None and saved.phase == "rolled-back" and saved.weight == 0


def test_a_slower_green_fails_the_comparison_with_blue(tmp_path: Path) -> None:
    stack = stack_with(FakeInstance("order-green", "green", latency_s=0.3))
    with pytest.raises(RolledBack):
        run(tmp_path, stack, plan("success>=99%,compare", steps=[50, 100]))
    assert "order-green" in stack.stopped


def test_too_little_traffic_holds_the_step_then_rolls_back(tmp_path: Path) -> None:
    stack = stack_with(FakeInstance("order-green", "green"))  # 4 requests a window at 10 %
    with pytest.raises(RolledBack, match="inconclusive after 2 windows"):
        run(tmp_path, stack, plan(pause_s=1, max_holds=1))


def test_a_held_step_judges_all_it_measured_since_it_began(tmp_path: Path) -> None:
    stack = stack_with(FakeInstance("order-green", "green"))  # 4 requests a window at 10 %
    rollout, events = run(
        tmp_path, stack, plan("success>=99%,p95<=250ms", steps=[10, 100], pause_s=1)
    )
    assert rollout.phase == "promoted"
    first_step = [e for e in events if e["event"] == "analysis" and e["weight"] == 10]
    assert [e["verdict"] for e in first_step] == ["inconclusive", "inconclusive", "pass"]
    assert [e["canary"]["requests"] for e in first_step] == [4, 8, 12]


def test_interrupted_switch_keeps_weights_and_says_so(tmp_path: Path) -> None:
    stack = stack_with(FakeInstance("order-green", "green"))
    stack.interrupt_after_sleeps = 20  # in the second step's window
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, stack, plan())
    saved = rollout_state.load(Workspace(tmp_path), "order")
    assert saved is not None and saved.phase == "interrupted" and saved.weight == 50
    assert saved.step_index == 1  # resumes at the step it was in
    assert stack.instances["order-green"].weight == 500
    assert stack.stopped == []
