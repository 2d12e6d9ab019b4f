"""bench/_counters.py: statement classification, Prometheus parsing, the SQL figures with the
relays' empty polls taken out, idle subtraction, the verdict; bench/saga_cost.py's minimum
table against docs/saga.md."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import _counters as c  # noqa: E402

from ecomctl.bench import parse_verdict  # noqa: E402

PG_LOCK = (
    "SELECT outbox.id, outbox.topic, (SELECT oldest.id FROM outbox AS oldest WHERE "
    "oldest.published_at IS NULL ORDER BY oldest.seq LIMIT $1) AS head_id FROM outbox "
    "WHERE outbox.published_at IS NULL ORDER BY outbox.seq LIMIT $2 FOR UPDATE OF outbox "
    "SKIP LOCKED"
)
MY_LOCK = (
    "SELECT `outbox` . `id` , `outbox` . `topic` FROM `outbox` WHERE `outbox` . "
    "`published_at` IS NULL ORDER BY `outbox` . `seq` LIMIT ? FOR UPDATE SKIP LOCKED "
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (PG_LOCK, "relay_lock"),
        (MY_LOCK, "relay_lock"),
        ("UPDATE outbox SET published_at=CURRENT_TIMESTAMP(6), attempts=1", "relay_mark"),
        ("UPDATE `outbox` SET `published_at` = CURRENT_TIMESTAMP (?)", "relay_mark"),
        ("COMMIT", "commit"),
        ("ROLLBACK ", "rollback"),
        ("ROLLBACK TO SAVEPOINT sa_1", "control"),
        ("BEGIN ISOLATION LEVEL READ COMMITTED", "begin"),
        ("START TRANSACTION", "begin"),
        ("SET LOCAL synchronous_commit = off", "set"),
        ("SHOW transaction isolation level", "control"),
        ("INSERT INTO inbox (event_id) VALUES ($1)", "data"),
        ("UPDATE orders SET status=$1 WHERE orders.id = $2", "data"),
        ("WITH o AS (INSERT INTO orders ...) INSERT INTO order_items ...", "data"),
        ("SELECT pg_advisory_xact_lock($1, $2)", "data"),
    ],
)
def test_statement_kind(text: str, kind: str) -> None:
    assert c.statement_kind(text) == kind


def test_statement_counts_add_up_by_kind() -> None:
    rows = [("COMMIT", 5), ("BEGIN", 4), ("INSERT INTO x VALUES (1)", 2), ("SELECT 1", 3)]
    assert c.statement_counts("order", rows) == {
        "order|sql.commit": 5.0,
        "order|sql.begin": 4.0,
        "order|sql.data": 5.0,
    }


def test_empty_relay_polls_and_pool_pings_are_taken_out_of_postgres_figures() -> None:
    # 10 relay rounds, 3 of which published; 2 handler transactions of 3 statements each;
    # 4 pool pings (BEGIN, an uncounted empty query, ROLLBACK).
    raw = {
        "order|sql.xacts": 15.0,  # lags: not used for the figures
        "order|sql.relay_lock": 10.0,
        "order|sql.relay_mark": 3.0,
        "order|sql.begin": 16.0,
        "order|sql.commit": 12.0,
        "order|sql.rollback": 4.0,
        "order|sql.data": 6.0,
    }
    found = c.sql_figures(raw, "order", "postgresql")
    assert found["order|sql transactions"] == 5.0  # 3 publishing rounds + 2 handlers
    assert found["order|sql statements"] == 12.0  # 6 + 3 locks + 3 marks
    assert found["order|sql control statements"] == 10.0  # BEGIN + COMMIT x 5
    assert found["order|sql round trips"] == 22.0
    assert found["order|relay empty polls (taken out)"] == 7.0
    assert found["order|pool pings (taken out)"] == 4.0
    assert found["order|relay rounds that published"] == 3.0
    assert found["order|transactions by pg_stat_database"] == 15.0


def test_mariadb_transactions_are_its_commit_and_rollback_statements() -> None:
    raw = {
        "inventory|sql.relay_lock": 4.0,
        "inventory|sql.relay_mark": 1.0,
        "inventory|sql.commit": 5.0,  # 4 rounds + 1 handler, no BEGIN sent
        "inventory|sql.rollback": 1.0,  # a read that ended its implicit transaction
        "inventory|sql.data": 8.0,
    }
    found = c.sql_figures(raw, "inventory", "mysql")
    assert found["inventory|sql transactions"] == 3.0
    assert found["inventory|sql statements"] == 10.0
    assert found["inventory|sql control statements"] == 3.0
    assert "inventory|pool pings (taken out)" not in found


def test_idle_window_is_subtracted_per_order() -> None:
    busy = {"a": 130.0, "b": 10.0}
    idle = {"a": 30.0, "c": 2.0}
    assert c.per_order(busy, idle, 100) == {"a": 1.0, "b": 0.1, "c": -0.02}
    assert c.delta({"x": 5.0}, {"x": 2.0, "y": 1.0}) == {"x": 3.0, "y": -1.0}


METRICS = """# HELP http_requests_total HTTP requests handled
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/api/users/{user_id}",status="200"} 24.0
http_requests_total{method="GET",route="/metrics",status="200"} 36.0
http_requests_total{method="GET",route="/health/ready",status="200"} 2.0
http_requests_total{method="POST",route="/api/auth/login",status="200"} 11.0
http_requests_created{method="GET",route="/api/users/{user_id}",status="200"} 1.79e+09
gateway_requests_total{method="POST",route="order",status="201"} 10.0
process_start_time_seconds 1.79654242066e+09
"""


def test_prometheus_labels_may_hold_braces() -> None:
    samples = c.prometheus_samples(METRICS, "http_requests_total")
    assert samples[0] == (
        {"method": "GET", "route": "/api/users/{user_id}", "status": "200"},
        24.0,
    )
    assert len(samples) == 4


def test_http_requests_leave_out_the_observers_and_add_the_gateways_proxied() -> None:
    assert c.http_requests(METRICS) == 24.0 + 11.0 + 10.0
    assert c.worker_id(METRICS) == repr(1.79654242066e09)
    assert c.worker_id("") == "?"


def test_spans_counted_once_per_service_inside_the_window() -> None:

    def span(ident: str, start_us: int, service: str) -> dict[str, object]:
        return {
            "traceId": "t",
            "id": ident,
            "timestamp": start_us,
            "localEndpoint": {"serviceName": service},
        }

    traces = [
        [
            span("1", 10_000_000, "order"),
            span("1", 10_000_000, "order"),
            span("2", 11_000_000, "payment"),
            span("3", 30_000_000, "order"),
        ]
    ]
    assert c.count_spans(traces, 10.0, 20.0) == {"order|spans": 1.0, "payment|spans": 1.0}


def test_ratio_and_verdict() -> None:
    minimums = [
        c.Minimum("order", "sql transactions", 5, ""),
        c.Minimum("kafka", "produced inventory-updated-events", 1, ""),
        c.Minimum("payment", "http requests served", 0, ""),
    ]
    measured = {
        "order|sql transactions": 5.15,
        "kafka|produced inventory-updated-events": 2.0,
        "payment|http requests served": 0.01,  # background left over: counts as 0
    }
    compared = c.compare(measured, minimums)
    assert [round(x.ratio, 2) for x in compared] == [1.03, 2.0, 0.0]
    assert not c.holds(compared, 1.25)
    line = c.verdict("saga_cost", compared, 1.25, 100, "1.00 2.00 3.00")
    assert line == (
        "saga_cost: ratio=2.00 target<=1.25 (kafka produced inventory-updated-events "
        "2.00/order vs minimum 1, 100 orders, load 1.00 2.00 3.00)"
    )
    parsed = parse_verdict("saga_cost", line, 1, 1.0)
    assert parsed.ratio == 2.0 and parsed.target == 1.25 and not parsed.ok
    assert c.holds(compared[:1], 1.25)


def test_work_where_none_is_needed_is_an_infinite_ratio() -> None:
    compared = c.compare({"x|y": 1.0}, [c.Minimum("x", "y", 0, "")])
    assert compared[0].ratio == float("inf")
    line = c.verdict("saga_cost", compared, 1.25, 10, "0.1 0.1 0.1")
    assert line.startswith("saga_cost: ratio=inf target<=1.25 (x y 1.00/order vs minimum 0,")
    parsed = parse_verdict("saga_cost", line, 1, 1.0)
    assert parsed.ratio == float("inf") and parsed.to_json()["ratio"] == "inf"


def test_docs_saga_lists_every_minimum_of_the_bench() -> None:
    import saga_cost

    text = (ROOT / "docs" / "saga.md").read_text()
    section = text.split("## Design minimum per order", 1)[1].split("\n## ", 1)[0]
    rows = {
        (m[1].strip(), m[2].strip()): float(m[3])
        for m in re.finditer(r"^\| ([\w-]+) \| ([^|]+?) \| ([\d.]+) \|", section, re.MULTILINE)
    }
    for minimum in saga_cost.MINIMUMS:
        assert rows.get((minimum.service, minimum.figure)) == minimum.per_order, minimum
    assert len(rows) == len(saga_cost.MINIMUMS)


def test_every_listed_bench_has_its_script_and_the_list_runs_none(tmp_path: Path) -> None:
    import json
    import os
    import subprocess

    from ecomctl.bench import BENCHES

    assert {"saga_cost", "saga_latency_1"} <= set(BENCHES)
    for name in BENCHES:
        assert (ROOT / "bench" / f"{name}.py").is_file(), name
    cli = [sys.executable, "-c", "from ecomctl.cli.app import main; main()"]
    listed = subprocess.run(
        [*cli, "bench", "--list", "--json"],
        cwd=tmp_path,  # no stack here: --list must not need one
        env={**os.environ, "NO_COLOR": "1", "ECOMCTL_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert [b["name"] for b in json.loads(listed.stdout)] == list(BENCHES)
