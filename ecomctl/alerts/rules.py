"""The stack's Prometheus rules: the RED figures as recording rules, and the alerts.

One rendering for every runtime (local Prometheus, the compose file) so what fires on a
laptop is what fires in CI. Thresholds come from the stack's `observability.alerts`;
every alert carries a `runbook` annotation pointing at its section of
docs/observability.md.

The recording rules are the figures a release is judged by (`ecomctl switch` compares a
color's error ratio and p95): `service:http_errors:ratio_rate1m` and
`service:http_latency_seconds:p95_1m` per service, the gateway's per route.
"""

from __future__ import annotations

from typing import Any

import yaml

from ecomctl.stack.model import AlertThresholds, Stack

RULES_FILE = "rules.yml"
RUNBOOK = "docs/observability.md#{anchor}"

RECORDING: list[dict[str, str]] = [
    {
        "record": "service:http_requests:rate1m",
        "expr": "sum by (service) (rate(http_requests_total[1m]))",
    },
    {
        "record": "service:http_errors:ratio_rate1m",
        "expr": 'sum by (service) (rate(http_requests_total{status=~"5.."}[1m]))'
        " / sum by (service) (rate(http_requests_total[1m]))",
    },
    {
        "record": "service:http_latency_seconds:p95_1m",
        "expr": "histogram_quantile(0.95,"
        " sum by (service, le) (rate(http_request_duration_seconds_bucket[1m])))",
    },
    {
        "record": "route:gateway_requests:rate1m",
        "expr": "sum by (route) (rate(gateway_requests_total[1m]))",
    },
    {
        "record": "route:gateway_errors:ratio_rate1m",
        "expr": 'sum by (route) (rate(gateway_requests_total{status=~"5.."}[1m]))'
        " / sum by (route) (rate(gateway_requests_total[1m]))",
    },
    {
        "record": "route:gateway_latency_seconds:p95_1m",
        "expr": "histogram_quantile(0.95,"
        " sum by (route, le) (rate(gateway_request_duration_seconds_bucket[1m])))",
    },
    {
        "record": "group:ecom_kafka_consumer_lag:sum",
        "expr": "sum by (group) (ecom_kafka_consumer_lag)",
    },
]


def _alert(
    name: str, expr: str, hold: str, severity: str, summary: str, anchor: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": hold,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "runbook": RUNBOOK.format(anchor=anchor)},
    }


def alerting_rules(t: AlertThresholds) -> list[dict[str, Any]]:
    return [
        _alert(
            "ServiceDown",
            'up{service!=""} == 0',
            t.hold,
            "critical",
            "{{ $labels.service }} does not answer its /metrics scrape",
            "servicedown",
        ),
        _alert(
            "HighErrorRate",
            f"service:http_errors:ratio_rate1m > {t.error_ratio}",
            t.hold,
            "critical",
            "{{ $labels.service }} answers {{ $value | humanizePercentage }} 5xx",
            "higherrorrate",
        ),
        _alert(
            "LatencyOverSLO",
            f"service:http_latency_seconds:p95_1m > {t.latency_p95_s}",
            t.hold,
            "warning",
            f"{{{{ $labels.service }}}} p95 is {{{{ $value }}}} s (SLO {t.latency_p95_s} s)",
            "latencyoverslo",
        ),
        _alert(
            "ConsumerLagGrowing",
            f"group:ecom_kafka_consumer_lag:sum > {t.consumer_lag}"
            f" and delta(group:ecom_kafka_consumer_lag:sum[{t.window}]) > 0",
            t.hold,
            "warning",
            "consumer group {{ $labels.group }} is {{ $value }} records behind and falling back",
            "consumerlaggrowing",
        ),
        _alert(
            "DeadLettersArriving",
            f"max by (topic) (delta(ecom_dlq_messages[{t.window}])) > 0",
            "0s",
            "warning",
            "new dead letters on {{ $labels.topic }}",
            "deadlettersarriving",
        ),
        _alert(
            "OutboxStale",
            f"max by (service) (ecom_outbox_oldest_unpublished_age_seconds) > {t.outbox_oldest_s}",
            t.hold,
            "critical",
            "{{ $labels.service }}'s oldest unpublished event waits for {{ $value }} s",
            "outboxstale",
        ),
    ]


ALERT_NAMES = tuple(rule["alert"] for rule in alerting_rules(AlertThresholds()))


def rules_document(stack: Stack) -> dict[str, Any]:
    thresholds = stack.observability.alerts
    # One group: Prometheus evaluates a group's rules in order, so every alert reads the
    # recording rules of the same evaluation. In two groups, evaluated concurrently, an alert
    # could read the previous round's value (and its summary say a stale number).
    return {
        "groups": [
            {"name": "ecomctl", "rules": [*RECORDING, *alerting_rules(thresholds)]},
        ]
    }


def render_rules(stack: Stack) -> str:
    return yaml.safe_dump(rules_document(stack), sort_keys=False, width=200)
