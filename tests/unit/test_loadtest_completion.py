"""Order completion from the orders' final statuses; Locust's JSON rows to stats; bench lines."""

from __future__ import annotations

import json
from pathlib import Path

from ecomctl.bench import parse_verdict
from ecomctl.loadtest.completion import PlacedOrder, measure, read_orders
from ecomctl.loadtest.external import percentile, stats_from_json


def test_completion_counts_what_the_user_wanted(tmp_path: Path) -> None:
    log = tmp_path / "orders.jsonl"
    rows = [(1, False), (2, False), (3, True), (4, True), (5, False), (1, False)]
    log.write_text("".join(json.dumps({"id": i, "cancelled": c}) + "\n" for i, c in rows))
    orders = read_orders(log)
    assert len(orders) == 5  # a repeated line counts once
    final = {1: "PAID", 2: "SHIPPED", 3: "CANCELLED", 4: "PAID", 5: "PENDING"}
    done = measure(orders, final.get, settle_s=0)
    assert (done.placed, done.completed) == (5, 3)
    assert done.statuses["PAID"] == 2 and done.incomplete == [4, 5]
    assert done.ratio == 0.6


def test_no_orders_has_no_ratio(tmp_path: Path) -> None:
    done = measure(read_orders(tmp_path / "absent.jsonl"), lambda _i: None, settle_s=0)
    assert done.ratio is None and done.to_json()["placed"] == 0


def test_unreadable_order_is_incomplete() -> None:
    done = measure([PlacedOrder(9, False)], lambda _i: None, settle_s=0)
    assert done.completed == 0 and done.statuses["UNKNOWN"] == 1


def test_locust_json_rows_to_stats(tmp_path: Path) -> None:
    row = {
        "name": "/api/products/[id]",
        "method": "GET",
        "num_requests": 100,
        "num_failures": 1,
        "total_response_time": 1000,
        "max_response_time": 90,
        "response_times": {"5": 50, "10": 45, "90": 5},
        "start_time": 100.0,
        "last_request_timestamp": 110.0,
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps([row, {**row, "name": "/api/orders", "method": "POST"}]))
    stats = stats_from_json(path)
    assert stats.total is not None and stats.total.requests == 200
    assert stats.total.p50_ms == 5 and stats.total.p95_ms == 10 and stats.total.p99_ms == 90
    assert stats.total.rps == 20 and stats.total.error_rate == 0.01
    assert percentile({}, 0.5) == 0


def test_bench_verdict_lines() -> None:
    out = "noise\ncache_hit: ratio=0.002 target<=0.2 (hit 0.01 ms, miss 5 ms)\n"
    result = parse_verdict("cache_hit", out, 0, 1.0)
    assert result.ok and result.ratio == 0.002 and result.detail.startswith("hit")
    higher = parse_verdict("checkout_throughput", "x: ratio=80 target>=100 (80/s)", 1, 1.0)
    assert not higher.ok and higher.op == ">="
    real = (
        "checkout_throughput: ratio=15.0 target>=100 orders/s (p95 180.0 ms at 15/s offered; "
        "limits p95<200 ms, errors<0.1%; via order)"
    )
    throughput = parse_verdict("checkout_throughput", real, 1, 1.0)
    assert throughput.ratio == 15.0 and throughput.target == 100
    assert throughput.detail.startswith("p95 180.0 ms")
    missing = parse_verdict("up_time", "Traceback ...", 1, 1.0)
    assert not missing.ok and missing.detail == "no verdict line"
