"""Green judged against blue over the same window, as Kayenta judges a canary.

Absolute gates ("p95 <= 250 ms") need a threshold someone guessed; a comparison asks only
whether green is worse than blue under the same load at the same time, so a slow minute of
the database fails neither. Each test is one-sided (is the canary worse?) and fails only when
the difference is both significant and material: with thousands of requests a 1 ms shift is
significant, and holding a release for it would be noise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ecomctl.rollout.figures import Figures, Histogram

Outcome = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class Comparison:
    """One comparison's verdict, the numbers behind it and a line a user reads.

    `statistic` is the canary's U (latency) or z (errors); `effect` the probability that a
    canary request is slower than a baseline one (latency) or the difference of error
    rates in percentage points (errors).
    """

    metric: str
    verdict: Outcome
    statistic: float | None
    p_value: float | None
    n_baseline: int
    n_canary: int
    effect: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RankTest:
    """Mann-Whitney U of the canary against the baseline, one-sided (canary greater)."""

    u: float  # pairs where the canary is greater, ties counted 1/2
    z: float
    p_value: float

    def superiority(self, n_baseline: int, n_canary: int) -> float:
        """P(canary > baseline) + 1/2 P(tie) of a random pair: U over the number of pairs."""
        return self.u / (n_baseline * n_canary)


def mann_whitney(baseline: Histogram, canary: Histogram) -> RankTest:
    """The U test on binned observations: observations in one bucket are ties.

    A canary observation in bucket j is greater than every baseline observation in a lower
    bucket and ties the baseline ones in bucket j, hence U = sum_j c_j (B_<j + b_j / 2). The
    variance is the tie-corrected one, (n1 n2 / 12) ((N + 1) - sum(t^3 - t) / (N (N - 1)))
    with t the bucket totals; the p-value is the normal approximation's with a continuity
    correction of 1/2 (as scipy's `mannwhitneyu(canary, baseline, alternative="greater")`).
    """
    if baseline.bounds != canary.bounds:
        raise ValueError("the histograms to compare have different buckets")
    n1, n2 = baseline.count, canary.count
    u, below = 0.0, 0
    for b, c in zip(baseline.counts, canary.counts, strict=True):
        u += c * (below + b / 2)
        below += b
    n = n1 + n2
    if not n1 or not n2:
        return RankTest(u=u, z=0.0, p_value=1.0)
    ties = sum(
        t**3 - t for t in (b + c for b, c in zip(baseline.counts, canary.counts, strict=True))
    )
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:  # every observation in one bucket: the buckets cannot tell them apart
        return RankTest(u=u, z=0.0, p_value=1.0)
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return RankTest(u=u, z=z, p_value=normal_sf(z))


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def _too_few(metric: str, n1: int, n2: int, names: tuple[str, str], min_samples: int) -> Comparison:
    """Too little data to judge: the step is held, not passed."""
    b, c = names
    return Comparison(
        metric, "inconclusive", None, None, n1, n2, None,
        f"{metric}: too few requests to compare ({b} {n1}, {c} {n2}; need {min_samples} each)",
    )  # fmt: skip


def compare_latency(
    baseline: Histogram,
    canary: Histogram,
    *,
    names: tuple[str, str] = ("blue", "green"),
    min_samples: int = 50,
    alpha: float = 0.01,
    allowance: float = 0.10,
) -> Comparison:
    """Is the canary slower than the baseline?

    "inconclusive" when either side has fewer than `min_samples` observations: too little
    data holds a step instead of passing it. "fail" when all three hold:
    - the U test says the canary is slower (one-sided p < `alpha`);
    - the canary's interpolated median exceeds the baseline's by more than `allowance`
      (a fraction): the slowdown is one a user would notice;
    - P(canary > baseline) + 1/2 P(tie) exceeds 0.5 + allowance / 2: the canary is slower
      for most requests, not only where the median happens to fall. Bucket interpolation
      can move a median across a wide bucket on a handful of requests; the probability
      of superiority, which the U test itself measures, cannot be moved that way.
    Otherwise "pass". A slowdown of the tail alone is not this test's business: the
    absolute p95/p99 gates catch it.
    """
    b, c = names  # the colors as the user knows them: the stable one, the new one
    n1, n2 = baseline.count, canary.count
    if n1 < min_samples or n2 < min_samples:
        return _too_few("latency", n1, n2, names, min_samples)
    test = mann_whitney(baseline, canary)
    superiority = test.superiority(n1, n2)
    median_b = 1000 * (baseline.quantile(0.5) or 0.0)
    median_c = 1000 * (canary.quantile(0.5) or 0.0)
    medians = f"median {median_c:.0f} ms vs {median_b:.0f} ms"
    slower = f"slower in {100 * superiority:.0f}% of pairs"
    material = median_c > median_b * (1 + allowance) and superiority > 0.5 + allowance / 2
    if test.p_value < alpha and material:
        verdict: Outcome = "fail"
        reason = f"latency: {c} slower than {b} ({medians}, {slower}, p={test.p_value:.2g})"
    elif test.p_value < alpha:
        verdict = "pass"
        reason = (
            f"latency: {c} slightly slower, within the {100 * allowance:.0f}% allowance "
            f"({medians}, {slower}, p={test.p_value:.2g})"
        )
    else:
        verdict = "pass"
        reason = f"latency: {c} not slower than {b} ({medians}, p={test.p_value:.2g})"
    return Comparison("latency", verdict, test.u, test.p_value, n1, n2, superiority, reason)


def compare_errors(
    baseline: Figures,
    canary: Figures,
    *,
    names: tuple[str, str] = ("blue", "green"),
    min_samples: int = 50,
    alpha: float = 0.01,
    allowance_pct: float = 1.0,
) -> Comparison:
    """Does the canary fail more requests than the baseline?

    A one-sided two-proportion z-test (pooled variance). "fail" only when significant
    (p < `alpha`) and the canary's error rate exceeds the baseline's by more than
    `allowance_pct` percentage points; "inconclusive" below `min_samples` requests a side.
    """
    b, c = names  # the colors as the user knows them: the stable one, the new one
    n1, n2 = baseline.requests, canary.requests
    if n1 < min_samples or n2 < min_samples:
        return _too_few("errors", n1, n2, names, min_samples)
    rate_b, rate_c = baseline.errors / n1, canary.errors / n2
    pooled = (baseline.errors + canary.errors) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (rate_c - rate_b) / se if se > 0 else 0.0
    p_value = normal_sf(z) if se > 0 else 1.0
    points = 100 * (rate_c - rate_b)
    rates = f"{100 * rate_c:.2f}% vs {100 * rate_b:.2f}%"
    if p_value < alpha and points > allowance_pct:
        verdict: Outcome = "fail"
        reason = f"errors: {c} fails more than {b} ({rates}, p={p_value:.2g})"
    elif p_value < alpha:
        verdict = "pass"
        reason = (
            f"errors: {c} slightly worse, within {allowance_pct:g} point(s) "
            f"({rates}, p={p_value:.2g})"
        )
    else:
        verdict = "pass"
        reason = f"errors: {c} not worse than {b} ({rates}, p={p_value:.2g})"
    return Comparison("errors", verdict, z, p_value, n1, n2, points, reason)
