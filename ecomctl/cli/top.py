"""`ecomctl top`: the stack's RED figures, consumer lag, saga outcomes and alerts, live."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import UserError
from ecomctl.operations import Target
from ecomctl.top.prometheus import PrometheusClient
from ecomctl.top.snapshot import Snapshot, take


def register(app: typer.Typer) -> None:
    app.command("top")(top)


def top(
    ctx: typer.Context,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5, max=60, help="Seconds between refreshes.")
    ] = 2.0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one snapshot as JSON and exit.")
    ] = False,
) -> None:
    """A live view of the running stack from its Prometheus: requests per second, error
    ratio and p95 per service, consumer lag per group, orders by status, orders and revenue
    per minute, cancellations by reason, and the alerts firing. Ctrl-C leaves.

    Examples:

      ecomctl top

      ecomctl top --interval 5

      ecomctl top --json | jq '.consumer_lag'

    Exit codes: 0 done; 1 the stack has no Prometheus or it does not answer.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    prometheus = PrometheusClient(prometheus_url(state(ctx).target()))
    try:
        if json_out:
            output.json(take(prometheus).to_json())
            return
        with Live(render(take(prometheus)), auto_refresh=False, transient=False) as live:
            try:
                while True:
                    time.sleep(interval)
                    live.update(render(take(prometheus)), refresh=True)
            except KeyboardInterrupt:
                return
    finally:
        prometheus.close()


def prometheus_url(tgt: Target) -> str:
    from ecomctl.scenarios.endpoints import port_offset

    spec = tgt.stack.enabled_infra().get("prometheus")
    if spec is None:
        raise UserError("this stack has no Prometheus (infra: prometheus in ecomctl.yaml)")
    return f"http://127.0.0.1:{spec.port + port_offset(tgt.workspace)}"


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


def render(snap: Snapshot) -> Group:
    services = Table(title="services (last minute)", title_justify="left", expand=False)
    for column in ("service", "up", "req/s", "errors", "p95 ms"):
        services.add_column(column, justify="left" if column == "service" else "right")
    for row in snap.services:
        errors = _num(None if row.error_ratio is None else row.error_ratio * 100, "{:.1f}%")
        services.add_row(
            row.service,
            Text("up", "green") if row.up else Text("DOWN", "bold red"),
            _num(row.requests_per_s),
            Text(errors, "red" if (row.error_ratio or 0) > 0.01 else ""),
            _num(row.p95_ms, "{:.0f}"),
        )
    lag = Table(title="consumer lag", title_justify="left")
    lag.add_column("group")
    lag.add_column("records", justify="right")
    for group, records in sorted(snap.consumer_lag.items()):
        lag.add_row(group, Text(f"{records:.0f}", "yellow" if records else ""))
    saga = Table(title="orders", title_justify="left")
    saga.add_column("figure")
    saga.add_column("value", justify="right")
    for status, count in sorted(snap.orders.items()):
        saga.add_row(status, f"{count:.0f}")
    saga.add_row("paid / min", _num(snap.paid_per_min))
    for currency, amount in sorted(snap.revenue_per_min.items()):
        saga.add_row(f"revenue / min ({currency})", f"{amount:.2f}")
    for reason, rate in sorted(snap.cancelled_per_min.items()):
        saga.add_row(f"cancelled / min: {reason}", f"{rate:.1f}")
    saga.add_row("time to PAID p95 (s)", _num(snap.time_to_paid_p95_s, "{:.2f}"))
    alerts = Text("no alerts firing", "green")
    if snap.alerts:
        alerts = Text(
            "\n".join(f"{a['alert']} ({a['severity']}): {a['summary']}" for a in snap.alerts),
            "bold red",
        )
    return Group(services, lag, saga, alerts)
