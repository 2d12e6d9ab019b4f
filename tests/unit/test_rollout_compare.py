"""Green against blue: Mann-Whitney U on latency histograms, a z-test on error rates."""

from __future__ import annotations

import bisect
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomctl.rollout.compare import compare_errors, compare_latency, mann_whitney
from ecomctl.rollout.figures import DEFAULT_BOUNDS, Histogram
from tests.unit.rollout_support import binned, latencies, window

SMALL = (0.1, 0.2, 0.3, math.inf)


def test_u_and_p_of_a_small_example_computed_by_hand() -> None:
    # blue: one in (0, .1], two in (.1, .2]; green: one in (.1, .2], two in (.2, .3].
    # Green's U: its (.1, .2] one beats blue's first and ties two (1 + 2/2 = 2); its two
    # (.2, .3] ones beat all three (2 x 3 = 6): U = 8 of 9 pairs.
    # Ties per bucket t = 1, 3, 2: sum(t^3 - t) = 0 + 24 + 6 = 30, N = 6,
    # var = 3*3/12 * (7 - 30/30) = 4.5; z = (8 - 4.5 - 0.5) / sqrt(4.5) = sqrt(2).
    test = mann_whitney(Histogram(SMALL, (1, 2, 0, 0)), Histogram(SMALL, (0, 1, 2, 0)))
    assert test.u == 8
    assert test.superiority(3, 3) == pytest.approx(8 / 9)
    assert test.z == pytest.approx(math.sqrt(2))
    assert test.p_value == pytest.approx(0.0786496, abs=1e-6)  # 1 - Phi(sqrt 2)


samples = st.lists(st.floats(min_value=0.0, max_value=12.0), min_size=1, max_size=30)


@given(samples, samples)
def test_u_from_histograms_is_the_u_of_pair_counting_with_bucket_ties(
    blue: list[float], green: list[float]
) -> None:
    def bucket(value: float) -> int:
        return bisect.bisect_left(DEFAULT_BOUNDS, value)

    brute = sum(
        1.0 if bucket(g) > bucket(b) else 0.5 if bucket(g) == bucket(b) else 0.0
        for g in green
        for b in blue
    )
    assert mann_whitney(binned(blue), binned(green)).u == brute


def test_identical_distributions_pass() -> None:
    blue = binned(latencies(1, 400))
    green = binned(latencies(2, 400))
    result = compare_latency(blue, green)
    assert result.verdict == "pass", result.reason
    assert compare_latency(blue, blue).verdict == "pass"


def test_a_canary_300_ms_slower_fails() -> None:
    result = compare_latency(binned(latencies(1, 200)), binned(latencies(2, 60, shift_s=0.3)))
    assert result.verdict == "fail"
    assert result.p_value is not None and result.p_value < 1e-6
    assert result.effect is not None and result.effect > 0.95
    assert result.reason.startswith("latency: green slower than blue (median 3")
    assert "\n" not in result.reason


def test_a_faster_canary_passes() -> None:
    result = compare_latency(binned(latencies(1, 300, median_s=0.2)), binned(latencies(2, 300)))
    assert result.verdict == "pass" and result.p_value is not None and result.p_value > 0.99


def test_a_significant_but_small_slowdown_is_within_the_allowance() -> None:
    blue = binned(latencies(1, 20000, median_s=0.06))
    green = binned(latencies(2, 20000, median_s=0.063))  # 5 % slower
    result = compare_latency(blue, green)
    assert result.p_value is not None and result.p_value < 0.01
    assert result.verdict == "pass"
    assert "within the 10% allowance" in result.reason


def test_ten_samples_are_inconclusive() -> None:
    result = compare_latency(binned(latencies(1, 500)), binned(latencies(2, 10, shift_s=0.3)))
    assert result.verdict == "inconclusive"
    assert result.p_value is None
    assert result.reason == (
        "latency: too few requests to compare (blue 500, green 10; need 50 each)"
    )


def test_a_canary_with_30_percent_500s_fails_the_error_comparison() -> None:
    blue = window(latencies(1, 1000), errors=1)
    green = window(latencies(2, 70), errors=30)
    result = compare_errors(blue, green)
    assert result.verdict == "fail"
    assert result.effect == pytest.approx(30 - 0.0999, abs=0.01)
    assert result.reason.startswith("errors: green fails more than blue (30.00% vs 0.10%")


def test_equal_error_rates_pass_and_few_requests_are_inconclusive() -> None:
    assert compare_errors(
        window([0.01] * 990, errors=10), window([0.01] * 99, errors=1)
    ).verdict == ("pass")
    assert compare_errors(window([0.01] * 100), window([0.01] * 100)).p_value == 1.0
    assert compare_errors(window([0.01] * 100), window([], errors=10)).verdict == "inconclusive"


def test_a_significant_error_increase_within_the_allowance_passes() -> None:
    blue = window([0.01] * 19980, errors=20)  # 0.1 %
    green = window([0.01] * 19840, errors=160)  # 0.8 %
    result = compare_errors(blue, green)
    assert result.p_value is not None and result.p_value < 0.01
    assert result.verdict == "pass" and "within 1 point(s)" in result.reason
