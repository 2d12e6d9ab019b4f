"""Releases on a real stack: `ecomctl deploy / switch / rollback / traffic status` with orders
flowing through the gateway, a bad release rolled back by its first gate, a destructive
migration refused, and an interrupted switch aborted.

The stack is the release stack (its own port offset; see saga_stack.py). The saga's
invariants with a switch in the middle are in test_saga_invariants.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.saga_stack import SagaStack


@pytest.fixture(scope="module")
def stack(release_stack: SagaStack) -> SagaStack:  # conftest.py
    return release_stack


def _traffic(stack: SagaStack) -> dict[str, list[dict[str, Any]]]:
    """Each service's colors as `traffic status --json` reports them."""
    shown = stack.ecomctl("traffic", "status", "--json", "--window", "0")
    assert shown.returncode == 0, shown.stderr
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in json.loads(shown.stdout)["services"]:
        rows.setdefault(row["service"], []).append(row)
    return rows


def _scenario(stack: SagaStack, name: str) -> dict[str, Any]:
    result = stack.ecomctl("scenario", name, "--json", timeout=400)
    assert result.stdout, result.stderr
    payload: dict[str, Any] = json.loads(result.stdout)
    failed = [c for c in payload.get("checks", []) if not c.get("ok")]
    assert result.returncode == 0 and payload["ok"], (payload["error"], failed, payload["steps"])
    return payload


def test_a_good_release_is_promoted_with_no_failed_request(stack: SagaStack) -> None:
    before = _traffic(stack)["order"]
    assert [(r["color"], r["share"]) for r in before] == [("blue", 100)]
    payload = _scenario(stack, "release-canary")
    release = next(s for s in payload["steps"] if s["action"] == "release")
    # The step fails on any refused request or any order not PAID; say what it saw.
    assert release["summary"].startswith("promoted; ")
    assert "(0 request(s) refused), all PAID" in release["summary"]
    after = _traffic(stack)["order"]
    assert [(r["color"], r["share"]) for r in after] == [("green", 100)]
    # The promoted color serves the next scenario (and its checks reach it at its new port).
    _scenario(stack, "order-happy-path")


def test_a_bad_release_is_rolled_back_at_its_first_step(stack: SagaStack) -> None:
    serving = _traffic(stack)["order"][0]["color"]
    payload = _scenario(stack, "release-bad-canary")
    release = next(s for s in payload["steps"] if s["action"] == "release")
    assert release["summary"].startswith("rolled-back; ")
    decisions = [e["action"] for e in payload["timeline"] if e["actor"] == "client"]
    analyses = [d for d in decisions if d.startswith("switch order: analysis")]
    assert analyses and analyses[0].endswith("fail"), decisions
    assert len(analyses) == 1, "rolled back at the first gate, not after more steps"
    assert [(r["color"], r["share"]) for r in _traffic(stack)["order"]] == [(serving, 100)]


def test_a_destructive_migration_is_refused_and_nothing_starts(
    stack: SagaStack, tmp_path: Path
) -> None:
    code = tmp_path / "order"
    shutil.copytree(stack.workspace / "services" / "order", code)
    script = code / "db" / "migration" / "V90__drop_notes.sql"
    script.write_text("-- tidy up\nALTER TABLE orders DROP COLUMN shipping_address;\n")
    refused = stack.ecomctl("deploy", "order", "--from", str(code))
    assert refused.returncode != 0
    assert "V90__drop_notes.sql:2: DROP COLUMN" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(_traffic(stack)["order"]) == 1, "no second color started"
    assert stack.ecomctl("switch", "order").returncode != 0, "and nothing to switch to"


def test_a_release_whose_events_the_serving_color_cannot_read_is_stopped_again(
    stack: SagaStack, tmp_path: Path
) -> None:
    # The new version brings its own kit, in which OrderCreated lost its `email` field.
    code = tmp_path / "order"
    shutil.copytree(stack.workspace / "services" / "order", code)
    kit = Path(__file__).resolve().parents[2] / "kit" / "src" / "ecomkit"
    shutil.copytree(kit, code / "src" / "ecomkit", ignore=shutil.ignore_patterns("__pycache__"))
    orders = code / "src" / "ecomkit" / "contracts" / "orders.py"
    text = orders.read_text()
    assert "    email: str | None\n" in text
    orders.write_text(text.replace("    email: str | None\n", "", 1))

    refused = stack.ecomctl("deploy", "order", "--from", str(code))
    assert refused.returncode != 0
    assert "could not read" in refused.stderr and "OrderCreated" in refused.stderr, refused.stderr
    assert "email" in refused.stderr and "Traceback" not in refused.stderr
    assert len(_traffic(stack)["order"]) == 1, "the new color was stopped again"
    assert stack.ecomctl("switch", "order").returncode != 0, "and nothing to switch to"


def test_ctrl_c_mid_switch_keeps_weights_then_rollback_restores_the_serving_color(
    stack: SagaStack,
) -> None:
    serving = _traffic(stack)["order"][0]["color"]
    deployed = stack.ecomctl("deploy", "order", "--json")
    assert deployed.returncode == 0, deployed.stderr
    switch = _start_switch(stack, "--steps", "50,100", "--pause", "120s")
    try:
        shares = _wait_for_share(stack, "order", serving, 50)
        second = stack.ecomctl("switch", "order", "--pause", "1s")
        assert second.returncode != 0 and "right now" in second.stderr, second.stderr
        switch.send_signal(signal.SIGINT)
        _, err = switch.communicate(timeout=60)
    finally:
        if switch.poll() is None:
            switch.kill()
    assert switch.returncode == 130, err
    assert "keeps 50% of traffic" in err and "Traceback" not in err
    kept = {r["color"]: r for r in _traffic(stack)["order"]}
    assert {c: r["share"] for c, r in kept.items()} == shares
    assert any("interrupted" in r["release"] for r in kept.values()), kept

    back = stack.ecomctl("rollback", "order")
    assert back.returncode == 0, back.stderr
    assert [(r["color"], r["share"]) for r in _traffic(stack)["order"]] == [(serving, 100)]
    _scenario(stack, "order-happy-path")


def test_traffic_set_splits_by_hand_and_rollback_undoes_it(stack: SagaStack) -> None:
    serving = _traffic(stack)["order"][0]["color"]
    assert stack.ecomctl("deploy", "order").returncode == 0
    new = "green" if serving == "blue" else "blue"
    manual = stack.ecomctl("traffic", "set", "order", f"{new}=30")
    assert manual.returncode == 0, manual.stderr
    assert {r["color"]: r["share"] for r in _traffic(stack)["order"]} == {serving: 70, new: 30}
    refused = stack.ecomctl("traffic", "set", "order", f"{serving}=70,{new}=20")
    assert refused.returncode != 0 and "add up to 90%, not 100%" in refused.stderr
    assert {r["color"]: r["share"] for r in _traffic(stack)["order"]} == {serving: 70, new: 30}
    assert stack.ecomctl("rollback", "order").returncode == 0
    assert [(r["color"], r["share"]) for r in _traffic(stack)["order"]] == [(serving, 100)]


def test_bad_input_is_one_line_and_changes_nothing(stack: SagaStack) -> None:
    before = _traffic(stack)
    cases = [
        (("switch", "nosuch"), "unknown service 'nosuch'"),
        (("deploy", "order", "--color", "purple"), "unknown color 'purple'"),
        (("switch", "order", "--gate", "p95<<3"), "bad gate"),
        (("switch", "order", "--steps", "10,200"), "--steps"),
        (("switch", "order"), "has no new version deployed"),
        (("rollback", "order"), "has no new version deployed"),
        (("traffic", "set", "order", "green=10"), "has no new version deployed"),
        (("traffic", "set", "order", "blue=70,green=20"), "add up to 90%, not 100%"),
    ]
    for args, expected in cases:
        result = stack.ecomctl(*args)
        assert result.returncode != 0, args
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert _traffic(stack) == before


def _start_switch(stack: SagaStack, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    command = "from ecomctl.cli.app import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", command, "-w", str(stack.workspace), "switch", "order", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_share(stack: SagaStack, service: str, color: str, share: int) -> dict[str, int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shares = {r["color"]: r["share"] for r in _traffic(stack)[service]}
        if shares.get(color) == share:
            return shares
        time.sleep(0.5)
    raise AssertionError(f"{service} never gave {color} {share}% of its traffic")
