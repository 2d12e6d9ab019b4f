"""The proxy's counts reach Prometheus' exposition intact: per route, method and status,
latency buckets cumulative, circuits reported — and with several workers, summed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client import REGISTRY

from gateway.entrypoints import metrics


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_counts_move_into_the_metrics_at_each_flush() -> None:
    before = sample("gateway_requests_total", route="flush-test", method="GET", status="200")
    for seconds in (0.002, 0.002, 0.3):
        metrics.observe("flush-test", "GET", 200, seconds)
    metrics.observe("flush-test", "GET", 503, 0.02)
    metrics.flush()
    after = sample("gateway_requests_total", route="flush-test", method="GET", status="200")
    assert after - before == 3
    assert sample("gateway_requests_total", route="flush-test", method="GET", status="503") == 1
    bucket = "gateway_request_duration_seconds_bucket"
    assert sample(bucket, route="flush-test", le="0.0025") == 2
    assert sample(bucket, route="flush-test", le="0.025") == 3
    assert sample(bucket, route="flush-test", le="0.5") == 4
    assert sample(bucket, route="flush-test", le="+Inf") == 4
    assert sample("gateway_request_duration_seconds_count", route="flush-test") == 4
    total = sample("gateway_request_duration_seconds_sum", route="flush-test")
    assert abs(total - 0.324) < 1e-9
    metrics.flush()  # nothing new: nothing added twice
    assert sample("gateway_request_duration_seconds_count", route="flush-test") == 4


def test_open_circuits_are_reported_at_the_flush() -> None:
    state = {"open": False}
    metrics.watch_breakers({"breaker-test": lambda: state["open"]})
    metrics.flush()
    assert sample("gateway_circuit_open", route="breaker-test") == 0
    state["open"] = True
    metrics.flush()
    assert sample("gateway_circuit_open", route="breaker-test") == 1


WORKER = textwrap.dedent(
    """
    import sys
    from gateway.entrypoints import metrics
    for _ in range(int(sys.argv[1])):
        metrics.observe("mp-test", "GET", 200, 0.01)
    metrics.flush()
    """
)


def test_several_workers_are_summed_in_one_scrape(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for count in (3, 4):
        subprocess.run([sys.executable, "-c", WORKER, str(count)], env=env, check=True)
    scrape = textwrap.dedent(
        """
        from ecomkit.multiprocess import exposition
        print(exposition().decode())
        """
    )
    page = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert 'gateway_requests_total{method="GET",route="mp-test",status="200"} 7.0' in page
    assert 'gateway_request_duration_seconds_count{route="mp-test"} 7.0' in page
