"""The stack's Prometheus rules, checked and unit-tested by the real promtool.

Each alert gets series that must make it fire (with the labels and annotations a page
would carry) and healthy series that must not. promtool comes with Prometheus' Debian
package, which `ecomctl infra install` (scripts/test) installs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecomctl.alerts import ALERT_NAMES, RULES_FILE, render_rules
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import Stack


def promtool() -> str:
    found = shutil.which("promtool") or (
        "/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None
    )
    if found is None:
        pytest.fail("promtool missing: `ecomctl infra install` installs Prometheus (and promtool)")
    return found


def stack() -> Stack:
    return load_stack(None)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def write_rules(tmp_path: Path) -> Path:
    rules = tmp_path / RULES_FILE
    rules.write_text(render_rules(stack()))
    return rules


def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    write_rules(tmp_path)
    result = run("check", "rules", RULES_FILE, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 13 rules found" in result.stdout


def runbook(anchor: str) -> str:
    return f"docs/observability.md#{anchor}"


def case(
    series: dict[str, str], alert: str, at: str, fired: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": fired}],
    }


def firing(labels: dict[str, str], summary: str, anchor: str) -> list[dict[str, Any]]:
    return [
        {"exp_labels": labels, "exp_annotations": {"summary": summary, "runbook": runbook(anchor)}}
    ]


UP = 'up{service="order",job="order",instance="127.0.0.1:8083"}'
OK = 'http_requests_total{service="order",status="200"}'
FAILED = 'http_requests_total{service="order",status="503"}'
LAG = 'ecom_kafka_consumer_lag{group="notification",topic="order-paid-events",partition="0"}'
DLQ = 'ecom_dlq_messages{service="payment",topic="inventory-reserved-events.DLQ"}'
OUTBOX = 'ecom_outbox_oldest_unpublished_age_seconds{service="order"}'


def bucket(le: str) -> str:
    return f'http_request_duration_seconds_bucket{{service="order",le="{le}"}}'


CASES = [
    # A service that stops answering its scrape: down after the 2 minutes hold.
    case(
        {UP: "1 1 0 0 0 0"},
        "ServiceDown",
        "5m",
        firing(
            {
                "severity": "critical",
                "service": "order",
                "job": "order",
                "instance": "127.0.0.1:8083",
            },
            "order does not answer its /metrics scrape",
            "servicedown",
        ),
    ),
    case({UP: "1 1 1 1 1 1"}, "ServiceDown", "5m", []),
    # 10 % 5xx for minutes; then a healthy service (1 %).
    case(
        {OK: "0+540x10", FAILED: "0+60x10"},
        "HighErrorRate",
        "8m",
        firing(
            {"severity": "critical", "service": "order"}, "order answers 10% 5xx", "higherrorrate"
        ),
    ),
    case({OK: "0+594x10", FAILED: "0+6x10"}, "HighErrorRate", "8m", []),
    # Most requests slower than 1 s: p95 over the 0.5 s SLO.
    case(
        {bucket("0.25"): "0+10x10", bucket("1"): "0+20x10", bucket("+Inf"): "0+100x10"},
        "LatencyOverSLO",
        "8m",
        firing(
            {"severity": "warning", "service": "order"},
            "order p95 is 1 s (SLO 0.5 s)",
            "latencyoverslo",
        ),
    ),
    case(
        {bucket("0.25"): "0+99x10", bucket("1"): "0+100x10", bucket("+Inf"): "0+100x10"},
        "LatencyOverSLO",
        "8m",
        [],
    ),
    # A consumer that stopped: its lag grows past 100; one that keeps up stays quiet.
    case(
        {LAG: "0+40x12"},
        "ConsumerLagGrowing",
        "10m",
        firing(
            {"severity": "warning", "group": "notification"},
            "consumer group notification is 400 records behind and falling back",
            "consumerlaggrowing",
        ),
    ),
    case({LAG: "150 150 150 150 150 150 150 150 150 150 150 150"}, "ConsumerLagGrowing", "10m", []),
    # A new dead letter fires at once; an old one (nothing new for 5 minutes) does not.
    case(
        {DLQ: "3 3 3 4 4 4"},
        "DeadLettersArriving",
        "4m",
        firing(
            {"severity": "warning", "topic": "inventory-reserved-events.DLQ"},
            "new dead letters on inventory-reserved-events.DLQ",
            "deadlettersarriving",
        ),
    ),
    case({DLQ: "4 4 4 4 4 4 4 4 4 4 4"}, "DeadLettersArriving", "10m", []),
    # The relay stopped: the oldest row ages past 60 s and stays there.
    case(
        {OUTBOX: "0+30x10"},
        "OutboxStale",
        "6m",
        firing(
            {"severity": "critical", "service": "order"},
            "order's oldest unpublished event waits for 180 s",
            "outboxstale",
        ),
    ),
    case({OUTBOX: "0 0 0 0 0 0 0"}, "OutboxStale", "6m", []),
]


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    alerts = [c["alert_rule_test"][0] for c in CASES]
    assert {a["alertname"] for a in alerts if a["exp_alerts"]} == set(ALERT_NAMES)
    assert {a["alertname"] for a in alerts if not a["exp_alerts"]} == set(ALERT_NAMES)


def test_promtool_unit_tests_of_every_alert(tmp_path: Path) -> None:
    write_rules(tmp_path)
    tests = {"rule_files": [RULES_FILE], "evaluation_interval": "1m", "tests": CASES}
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = run("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
