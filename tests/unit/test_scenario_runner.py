"""The scenario runner on an in-memory platform: YAML parsing, steps, checks, timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecomctl.errors import UsageError
from ecomctl.scenarios import loader, runner, steps, timeline
from ecomctl.scenarios.kafka import Record
from ecomctl.scenarios.model import parse_scenario
from tests.unit.scenario_fakes import FakePlatform

SIX = {
    "order-happy-path",
    "payment-failure",
    "out-of-stock",
    "cancel-before-payment",
    "duplicate-delivery",
    "crash-recovery",
}


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failing checks are not retried for long on the fake: it never changes by itself."""
    monkeypatch.setattr(runner, "CHECK_WINDOW_MIN_S", 0.0)
    monkeypatch.setattr(runner, "CHECK_POLL_S", 0.01)
    monkeypatch.setattr(steps, "SETTLE_QUIET_S", 0.0)
    monkeypatch.setattr(steps, "POLL_S", 0.01)


def test_the_six_scenarios_ship_and_parse() -> None:
    found = {s.name: s for s in loader.load_all(None)}
    assert set(found) >= SIX
    assert all(s.description and s.steps for s in found.values())


@pytest.mark.parametrize("name", sorted(SIX))
def test_every_scenario_passes_on_a_platform_that_keeps_the_invariants(name: str) -> None:
    result = runner.run(loader.load(name, None), FakePlatform().adapters(), timeout_s=5)
    failed = [c for c in result.checks if not c.ok]
    assert result.ok, (result.error, failed)
    assert [s.number for s in result.steps] == list(range(1, len(result.steps) + 1))
    assert result.final_state["orders"]["o1"]["status"] in ("PAID", "CANCELLED")


def test_a_second_charge_on_redelivery_fails_duplicate_delivery() -> None:
    platform = FakePlatform(double_charge_on_redelivery=True)
    result = runner.run(loader.load("duplicate-delivery", None), platform.adapters(), timeout_s=2)
    assert not result.ok
    failed = {c.name for c in result.checks if not c.ok}
    assert "charges for o1 (net)" in failed
    assert "nothing changed since snapshot before" in failed


def test_a_failing_step_stops_the_scenario_and_says_why() -> None:
    scenario = parse_scenario(
        {
            "name": "broken",
            "description": "orders with a card never created",
            "steps": [
                {"user": {"as": "a"}},
                {
                    "order": {
                        "as": "o1",
                        "user": "a",
                        "card": "x",
                        "items": [{"product": "p", "quantity": 1}],
                    }
                },
            ],
            "expect": {"orders": {"o1": {"status": "PAID"}}},
        },
        source="test",
    )
    result = runner.run(scenario, FakePlatform().adapters(), timeout_s=1)
    assert not result.ok
    assert result.error is not None and "step 2 (order)" in result.error
    assert "no product named 'p'" in result.steps[1].detail


def test_a_paused_service_is_resumed_even_when_a_step_fails() -> None:
    platform = FakePlatform()
    scenario = parse_scenario(
        {
            "name": "paused",
            "description": "pause, then fail",
            "steps": [
                {"pause": {"service": "payment"}},
                {"wait": {"order": "nope", "status": "PAID"}},
            ],
        },
        source="test",
    )
    runner.run(scenario, platform.adapters(), timeout_s=1)
    assert platform.payment_down is False


def test_the_timeline_links_each_event_to_its_cause() -> None:
    result = runner.run(loader.load("order-happy-path", None), FakePlatform().adapters())
    by_action = {e.action: e for e in result.timeline if e.order == "o1"}
    assert by_action["OrderCreated"].caused_by == "POST /api/orders"
    assert by_action["InventoryReserved"].caused_by.startswith("OrderCreated (")
    assert by_action["OrderPaid"].caused_by.startswith("PaymentCompleted (")
    assert by_action["order_events: ORDER_PAID"].actor == "order"
    assert [e.at for e in result.timeline] == sorted(e.at for e in result.timeline)


def test_the_json_result_has_steps_timings_checks_and_state() -> None:
    result = runner.run(loader.load("out-of-stock", None), FakePlatform().adapters())
    payload = result.to_json()
    assert payload["ok"] is True
    assert {"steps", "checks", "timeline", "final_state", "duration_s"} <= set(payload)
    assert payload["final_state"]["stock"]["scarce"]["available"] == 1
    assert all("duration_s" in step for step in payload["steps"])


# ---- parsing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"teleport": {}}], "step 1: unknown action 'teleport'"),
        ([{"user": {"as": "a"}, "product": {}}], "step 1 must be a one-key mapping"),
        ([{"product": {"as": "p", "stock": -1}}], "step 1 (product): stock"),
        ([{"wait": {"order": "o", "status": "LOST"}}], "step 1 (wait): status"),
        ([{"user": {"as": "a", "colour": "red"}}], "colour: Extra inputs"),
        ([], "`steps` must be a non-empty list"),
    ],
)
def test_bad_scenarios_are_refused_with_the_step_number(steps: list, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_scenario({"name": "x", "description": "d", "steps": steps}, source="x.yaml")


def test_a_workspace_scenario_overrides_a_builtin(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "order-happy-path.yaml").write_text(
        "name: order-happy-path\ndescription: mine\nsteps:\n  - sleep: {seconds: 0}\n"
    )
    assert loader.load("order-happy-path", tmp_path).description == "mine"
    with pytest.raises(UsageError, match="no scenario named 'nope'"):
        loader.load("nope", tmp_path)


def test_a_file_whose_name_differs_from_its_scenario_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: b\ndescription: d\nsteps:\n  - sleep: {seconds: 0}\n")
    with pytest.raises(UsageError, match="differs from the file name"):
        loader.load_file(path)


# ---- timeline ---------------------------------------------------------------------------------
def _record(kind: str, order: int, offset: int, event_id: str, at: datetime) -> Record:
    value = (
        f'{{"id": "{event_id}", "type": "{kind}", "source": "svc", '
        f'"time": "{at.isoformat()}", "data": {{"order_id": {order}}}}}'
    )
    return Record("t", 0, offset, 0, str(order).encode(), value.encode())


def test_redeliveries_are_marked_and_do_not_become_causes() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    records = [
        _record("OrderCreated", 7, 0, "e1", t0),
        _record("InventoryReserved", 7, 1, "e2", t0 + timedelta(seconds=1)),
        _record("OrderCreated", 7, 2, "e1", t0 + timedelta(seconds=2)),
        _record("OrderCreated", 8, 3, "e9", t0),  # another order: not in this scenario
    ]
    entries = timeline.assemble(timeline.from_records(records, {"7": "o1"}))
    assert [(e.action, e.redelivery) for e in entries] == [
        ("OrderCreated", False),
        ("InventoryReserved", False),
        ("OrderCreated", True),
    ]
    assert entries[1].caused_by == "OrderCreated (e1)"


def test_order_events_rows_in_either_spelling() -> None:
    rows = [
        {"eventType": "PAID", "data": {"status": "PAID"}, "createdAt": "2025-01-01T00:00:01Z"},
        {"event_type": "CREATED", "event_data": None, "created_at": "2025-01-01T00:00:00"},
    ]
    entries = timeline.assemble(timeline.from_order_events(rows, "o1"))
    assert [e.action for e in entries] == ["order_events: CREATED", "order_events: PAID"]
    assert entries[1].detail == "status=PAID"


def test_pushed_steps_are_compared_exactly_and_a_missing_watch_is_said() -> None:
    scenario = parse_scenario(
        {
            "name": "pushed",
            "description": "d",
            "steps": [
                {"user": {"as": "u"}},
                {"product": {"as": "p", "price": "1.00", "stock": 5}},
                {"payment_method": {"as": "c", "card": "4242424242424242"}},
                {
                    "order": {
                        "as": "o1",
                        "user": "u",
                        "card": "c",
                        "items": [{"product": "p", "quantity": 1}],
                    }
                },
                {
                    "order": {
                        "as": "o2",
                        "user": "u",
                        "card": "c",
                        "items": [{"product": "p", "quantity": 1}],
                    }
                },
                {"watch": {"order": "o1"}},
            ],
            "expect": {"pushed": {"o1": ["created", "paid"], "o2": ["created"]}},
        },
        source="test",
    )
    result = runner.run(scenario, FakePlatform().adapters(), timeout_s=1)
    checks = {c.name: c for c in result.checks}
    assert checks["pushed steps of o1"].actual == "created -> reserved -> paid"
    assert not checks["pushed steps of o1"].ok
    assert "no watch step for o2" in str(checks["pushed steps of o2"].actual)


def test_a_reservation_overtaken_by_the_payment_may_be_missing_and_nothing_else() -> None:
    from ecomctl.scenarios.checks import pushed_as_expected

    expected = ["created", "reserved", "paid"]
    assert pushed_as_expected(["created", "reserved", "paid"], expected)
    assert pushed_as_expected(["created", "paid"], expected)  # PaymentCompleted handled first
    assert not pushed_as_expected(["created", "reserved"], expected)
    assert not pushed_as_expected(["reserved", "paid"], expected)
    assert not pushed_as_expected(["created", "paid", "reserved"], expected)
