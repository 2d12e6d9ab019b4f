"""Four dashboards — RED per service, the saga, Kafka, the business — built with Grafana's
foundation SDK, whose types are generated from Grafana's own dashboard schema: a panel or
field Grafana does not know cannot be written, and `tests/unit/test_dashboards.py` reads
each document back through the SDK's models.

The queries are the recording rules of `ecomctl.alerts` and the metrics of
docs/observability.md, so Grafana, `ecomctl top` and the alerts read the same figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

DATASOURCE = DataSourceRef(type_val="prometheus", uid="ecomctl-prometheus")
REFRESH = "10s"


def _query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref)


def _series(title: str, unit: str, *queries: tuple[str, str], width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).height(8).span(width)
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + index)))
    return panel


def _stat(title: str, unit: str, expr: str, width: int = 6) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(4)
        .span(width)
        .with_target(_query(expr, title))
    )


def _dashboard(uid: str, title: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .tags(["ecomctl"])
        .refresh(REFRESH)
        .time("now-1h", "now")
        .timezone("browser")
    )


def red() -> dashboard.Dashboard:
    return (
        _dashboard("ecomctl-red", "ecomctl / services (RED)")
        .with_panel(_series("requests", "reqps", ("service:http_requests:rate1m", "{{service}}")))
        .with_panel(
            _series("5xx ratio", "percentunit", ("service:http_errors:ratio_rate1m", "{{service}}"))
        )
        .with_panel(_series("p95", "s", ("service:http_latency_seconds:p95_1m", "{{service}}")))
        .with_panel(_series("up", "none", ('up{service!=""}', "{{service}}")))
        .with_panel(
            _series(
                "gateway per route",
                "reqps",
                ("route:gateway_requests:rate1m", "{{route}}"),
                width=24,
            )
        )
        .with_panel(
            _series(
                "gateway p95 per route", "s", ("route:gateway_latency_seconds:p95_1m", "{{route}}")
            )
        )
        .with_panel(
            _series("open circuits", "none", ("max by (route) (gateway_circuit_open)", "{{route}}"))
        )
    )


def saga() -> dashboard.Dashboard:
    return (
        _dashboard("ecomctl-saga", "ecomctl / order saga")
        .with_panel(_stat("PAID", "none", 'max(ecom_orders{status="PAID"})'))
        .with_panel(_stat("CANCELLED", "none", 'max(ecom_orders{status="CANCELLED"})'))
        .with_panel(_stat("PENDING", "none", 'max(ecom_orders{status="PENDING"})'))
        .with_panel(
            _stat(
                "time to PAID p95",
                "s",
                "histogram_quantile(0.95,"
                " sum by (le) (rate(ecom_order_time_to_paid_seconds_bucket[5m])))",
            )
        )
        .with_panel(
            _series(
                "outcomes per minute",
                "none",
                ("sum(rate(ecom_orders_paid_total[1m])) * 60", "paid"),
                (
                    "sum by (reason) (rate(ecom_orders_cancelled_total[1m])) * 60",
                    "cancelled: {{reason}}",
                ),
            )
        )
        .with_panel(
            _series(
                "outbox: oldest unpublished",
                "s",
                ("max by (service) (ecom_outbox_oldest_unpublished_age_seconds)", "{{service}}"),
            )
        )
    )


def kafka() -> dashboard.Dashboard:
    return (
        _dashboard("ecomctl-kafka", "ecomctl / Kafka")
        .with_panel(
            _series("consumer lag", "none", ("group:ecom_kafka_consumer_lag:sum", "{{group}}"))
        )
        .with_panel(
            _series(
                "events consumed",
                "ops",
                (
                    "sum by (consumer, outcome) (rate(ecom_events_consumed_total[1m]))",
                    "{{consumer}} {{outcome}}",
                ),
            )
        )
        .with_panel(
            _series(
                "failed attempts",
                "ops",
                ("sum by (consumer) (rate(ecom_event_failures_total[1m]))", "{{consumer}}"),
            )
        )
        .with_panel(
            _series(
                "dead letters held", "none", ("max by (topic) (ecom_dlq_messages)", "{{topic}}")
            )
        )
    )


def business() -> dashboard.Dashboard:
    return (
        _dashboard("ecomctl-business", "ecomctl / business")
        .with_panel(
            _series(
                "orders per minute",
                "none",
                ("sum(rate(ecom_orders_placed_total[1m])) * 60", "placed"),
                ("sum(rate(ecom_orders_paid_total[1m])) * 60", "paid"),
            )
        )
        .with_panel(
            _series(
                "revenue per minute",
                "none",
                ("sum by (currency) (rate(ecom_order_revenue_total[1m])) * 60", "{{currency}}"),
            )
        )
        .with_panel(
            _series(
                "payment failures per minute",
                "none",
                (
                    "sum by (decline_code) (rate(ecom_payment_failures_total[1m])) * 60",
                    "{{decline_code}}",
                ),
            )
        )
        .with_panel(
            _series(
                "stock-outs per minute",
                "none",
                ("sum(rate(ecom_stock_outs_total[1m])) * 60", "lines short"),
            )
        )
    )


DASHBOARDS: dict[str, Callable[[], dashboard.Dashboard]] = {
    "red": red,
    "saga": saga,
    "kafka": kafka,
    "business": business,
}


def dashboard_documents() -> dict[str, dict[str, Any]]:
    """name -> the dashboard's JSON document, as Grafana imports it."""
    documents: dict[str, dict[str, Any]] = {}
    for name, build in DASHBOARDS.items():
        documents[name] = json.loads(json.dumps(build().build(), cls=JSONEncoder))
    return documents


def write_provisioning(directory: Path, prometheus_url: str) -> list[Path]:
    """Dashboards and Grafana's provisioning files (the Prometheus data source, the
    dashboards folder): mount `directory/provisioning` at /etc/grafana/provisioning and
    `directory/dashboards` where the provider points."""
    written: list[Path] = []
    boards = directory / "dashboards"
    boards.mkdir(parents=True, exist_ok=True)
    for name, document in dashboard_documents().items():
        path = boards / f"{name}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        written.append(path)
    datasources = directory / "provisioning" / "datasources"
    providers = directory / "provisioning" / "dashboards"
    datasources.mkdir(parents=True, exist_ok=True)
    providers.mkdir(parents=True, exist_ok=True)
    source = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": DATASOURCE.uid,
                "access": "proxy",
                "url": prometheus_url,
                "isDefault": True,
            }
        ],
    }
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "ecomctl",
                "folder": "ecomctl",
                "type": "file",
                "options": {"path": "/var/lib/grafana/dashboards/ecomctl"},
            }
        ],
    }
    for path, document in (
        (datasources / "prometheus.yaml", source),
        (providers / "ecomctl.yaml", provider),
    ):
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        written.append(path)
    return written
