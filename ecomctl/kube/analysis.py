"""The gates of `ecomctl switch` as Argo Rollouts analysis metrics (Prometheus queries).

One gate definition (`ecomctl.rollout.gates.parse_gates`), two renderings: locally the
gates judge scraped counters (`ecomctl.rollout.gates.evaluate`); here each gate becomes a
query over the canary's pods (`rollouts_pod_template_hash`, set by the chart's
ServiceMonitor) with a success and a failure condition. A result that meets neither, or
no result at all (too few requests: the queries return nothing below `min_requests`), is
Argo's "inconclusive", which pauses the rollout: the third outcome of the local verdict.

`SERVICE` in a query stands for the service's name; the chart fills it in.
"""

from __future__ import annotations

from typing import Any

from ecomctl.rollout.gates import COMPARE, DEFAULT_GATES, Gate, parse_gates

_ROUTES = 'route!~"/health/.*|/metrics|/admin/faults"'  # not the traffic a release is judged on
_OPPOSITE = {">=": "<", "<=": ">", ">": "<=", "<": ">="}
# ecomctl compares the colors with rank tests; PromQL cannot, so the chart compares ratios.
LATENCY_RATIO_LIMIT = 1.25
ERROR_POINTS_LIMIT = 1.0


def _pods(hash_arg: str) -> str:
    return f'app="SERVICE",rollouts_pod_template_hash="{{{{args.{hash_arg}}}}}"'


def _requests(window: str, hash_arg: str = "canary-hash") -> str:
    return f"sum(increase(http_requests_total{{{_pods(hash_arg)},{_ROUTES}}}[{window}]))"


def _errors(window: str, hash_arg: str = "canary-hash") -> str:
    selector = f'{_pods(hash_arg)},{_ROUTES},status=~"5.."'
    return f"(sum(increase(http_requests_total{{{selector}}}[{window}])) or vector(0))"


def _error_pct(window: str, hash_arg: str = "canary-hash") -> str:
    return f"(100 * {_errors(window, hash_arg)} / {_requests(window, hash_arg)})"


def _quantile(q: float, window: str, hash_arg: str = "canary-hash") -> str:
    selector = f"{_pods(hash_arg)},{_ROUTES}"
    buckets = f"sum by (le) (rate(http_request_duration_seconds_bucket{{{selector}}}[{window}]))"
    return f"(1000 * histogram_quantile({q}, {buckets}))"


def _with_traffic(query: str, window: str, min_requests: int, *hashes: str) -> str:
    """Nothing (so inconclusive) while a judged color has fewer than `min_requests`."""
    for hash_arg in hashes or ("canary-hash",):
        query = f"{query} and on() ({_requests(window, hash_arg)} >= {min_requests})"
    return query


def _gate_query(gate: Gate, window: str, min_requests: int) -> str:
    metric = gate.metric
    if metric == "success":
        return _with_traffic(f"(100 - {_error_pct(window)})", window, min_requests)
    if metric == "error":
        return _with_traffic(_error_pct(window), window, min_requests)
    if metric in ("p50", "p95", "p99"):
        quantile = _quantile(int(metric[1:]) / 100, window)
        return _with_traffic(quantile, window, min_requests)
    if metric == "rps":
        return f"sum(rate(http_requests_total{{{_pods('canary-hash')},{_ROUTES}}}[{window}]))"
    if metric == "requests":
        return _requests(window)
    if metric == "errors":
        return _errors(window)
    if metric == "event_failures":
        return _event_count("ecom_event_failures_total", window)
    if metric == "dead_lettered":
        return _event_count("ecom_events_consumed_total", window, ',outcome="dead-lettered"')
    if metric == "lag":  # both colors consume in one group: its lag is the service's
        return 'sum(kafka_consumergroup_lag{consumergroup="SERVICE"})'
    raise ValueError(f"no query for gate metric {metric}")


def _event_count(counter: str, window: str, extra: str = "") -> str:
    selector = _pods("canary-hash") + extra
    return f"(sum(increase({counter}{{{selector}}}[{window}])) or vector(0))"


def _conditions(op: str, threshold: float) -> tuple[str, str]:
    value = f"{threshold:g}"
    return (
        f"len(result) > 0 && result[0] {op} {value}",
        f"len(result) > 0 && result[0] {_OPPOSITE[op]} {value}",
    )


def _metric(name: str, query: str, op: str, threshold: float) -> dict[str, Any]:
    success, failure = _conditions(op, threshold)
    return {
        "name": name,
        "query": query,
        "successCondition": success,
        "failureCondition": failure,
    }


def _comparisons(window: str, min_requests: int) -> list[dict[str, Any]]:
    both = ("canary-hash", "stable-hash")
    latency = _with_traffic(
        f"{_quantile(0.95, window)} / {_quantile(0.95, window, 'stable-hash')}",
        window,
        min_requests,
        *both,
    )
    errors = _with_traffic(
        f"{_error_pct(window)} - {_error_pct(window, 'stable-hash')}", window, min_requests, *both
    )
    return [
        _metric("compare-latency", latency, "<=", LATENCY_RATIO_LIMIT),
        _metric("compare-errors", errors, "<=", ERROR_POINTS_LIMIT),
    ]


def analysis_metrics(expression: str, *, window: str, min_requests: int) -> list[dict[str, Any]]:
    """The AnalysisTemplate metrics of a gate expression (default: `ecomctl switch`'s)."""
    metrics: list[dict[str, Any]] = []
    for gate in parse_gates(expression or DEFAULT_GATES):
        if gate.metric == COMPARE:
            metrics.extend(_comparisons(window, min_requests))
            continue
        query = _gate_query(gate, window, min_requests)
        metrics.append(_metric(gate.metric.replace("_", "-"), query, gate.op, gate.threshold))
    return metrics
