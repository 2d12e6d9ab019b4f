"""Figures of a color from the Prometheus pages of its instances."""

from __future__ import annotations

import json
import math

import pytest

from ecomctl.rollout.figures import (
    DEFAULT_BOUNDS,
    Histogram,
    Snapshot,
    figures,
    parse_metrics,
)
from tests.unit.rollout_support import Instance

SMALL = (0.1, 0.2, math.inf)


def test_a_page_is_read_into_requests_latency_and_events() -> None:
    instance = Instance()
    instance.serve([0.003, 0.02, 0.02, 0.3])
    instance.serve([0.04], status=503, route="/orders/{id}", method="POST")
    instance.serve([0.001] * 7, route="/health/ready")
    instance.serve([0.001] * 3, route="/metrics")
    instance.serve([0.001], route="/admin/faults", method="PUT")
    instance.consume("handled", 5)
    instance.consume("duplicate", 2, topic="payments")
    instance.consume("dead-lettered")
    instance.failures.labels("inventory", "orders").inc(4)

    snapshot = parse_metrics(instance.scrape())

    assert snapshot.requests == {200: 4, 503: 1}
    assert snapshot.latency.bounds == DEFAULT_BOUNDS
    assert snapshot.latency.count == 5
    # per bucket: .005 <- 0.003; .025 <- 0.02 x2; .05 <- 0.04; .5 <- 0.3
    assert snapshot.latency.counts[:8] == (1, 0, 2, 1, 0, 0, 0, 1)
    assert (snapshot.events_handled, snapshot.events_duplicate) == (5, 2)
    assert (snapshot.dead_lettered, snapshot.event_failures) == (1, 4)


def test_a_page_without_the_metrics_is_an_empty_snapshot() -> None:
    assert parse_metrics("") == Snapshot.empty()
    assert parse_metrics(Instance().scrape()) == Snapshot.empty()


def test_the_delta_of_two_scrapes_is_what_happened_in_between() -> None:
    instance = Instance()
    instance.serve([0.01] * 10)
    instance.consume("handled", 3)
    before = parse_metrics(instance.scrape())
    instance.serve([0.3] * 4)
    instance.serve([0.02], status=500)
    instance.consume("handled", 2)

    delta = parse_metrics(instance.scrape()) - before

    assert delta.requests == {200: 4, 500: 1}
    assert delta.latency.count == 5
    assert delta.events_handled == 2


def test_a_counter_that_went_down_means_a_restart_and_the_later_scrape_is_the_delta() -> None:
    old = Instance()
    old.serve([0.01] * 100)
    before = parse_metrics(old.scrape())
    restarted = Instance()
    restarted.serve([0.01] * 3)
    restarted.serve([0.01] * 2, status=500)
    after = parse_metrics(restarted.scrape())

    assert after - before == after


def test_instances_of_a_color_add_up() -> None:
    one, two = Instance(), Instance()
    one.serve([0.01] * 3)
    two.serve([0.01] * 2)
    two.serve([0.2], status=502)
    two.consume("handled", 7)

    total = parse_metrics(one.scrape()) + parse_metrics(two.scrape()) + Snapshot.empty()

    assert total.requests == {200: 5, 502: 1}
    assert total.latency.count == 6
    assert total.events_handled == 7


def test_quantiles_interpolate_within_the_bucket_as_promql_does() -> None:
    histogram = Histogram(SMALL, (10, 10, 0))
    assert histogram.quantile(0.5) == pytest.approx(0.1)  # rank 10: top of the first bucket
    assert histogram.quantile(0.75) == pytest.approx(0.15)  # rank 15: halfway through (.1, .2]
    assert histogram.quantile(0.25) == pytest.approx(0.05)


def test_a_quantile_in_the_inf_bucket_is_the_highest_finite_bound() -> None:
    assert Histogram(SMALL, (1, 0, 9)).quantile(0.9) == pytest.approx(0.2)
    assert Histogram(SMALL, (0, 0, 0)).quantile(0.5) is None


def test_histograms_add_and_subtract_bucket_by_bucket() -> None:
    a, b = Histogram(SMALL, (1, 2, 3)), Histogram(SMALL, (1, 1, 1))
    assert (a + b).counts == (2, 3, 4)
    assert (a - b).counts == (0, 1, 2)
    assert (b - a) == b  # a bucket went down: a restart
    assert a + Histogram() == a  # an empty side has no buckets to agree on
    with pytest.raises(ValueError, match="different buckets"):
        _ = a + Histogram(DEFAULT_BOUNDS, (1,) + (0,) * 14)


def test_figures_of_a_window() -> None:
    instance = Instance()
    instance.serve([0.02] * 97)
    instance.serve([0.02] * 3, status=500)
    instance.serve([0.02] * 5, status=404)
    instance.consume("handled", 4)

    found = figures(parse_metrics(instance.scrape()), window_s=10)

    assert (found.requests, found.errors, found.rps) == (105, 3, 10.5)
    assert found.error_pct == pytest.approx(100 * 3 / 105)
    assert found.success_pct == pytest.approx(100 - 100 * 3 / 105)
    assert found.p50_ms is not None and 10 < found.p50_ms <= 25
    assert found.events_handled == 4
    assert json.loads(json.dumps(found.to_dict()))["requests"] == 105


def test_a_window_without_requests_has_no_percentages() -> None:
    found = figures(Snapshot.empty(), window_s=30)
    assert (found.requests, found.rps) == (0, 0.0)
    assert found.success_pct is None and found.p95_ms is None and found.p99_ms is None
