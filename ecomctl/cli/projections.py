"""`ecomctl projections`: the order service's read models (history, sales, admin search)."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output
from ecomctl.projections import projection_status, rebuild_projection

app = typer.Typer(
    help=(
        "The order service's read models, built from its event log in the background.\n\n"
        "Examples:\n\n"
        "  ecomctl projections status\n\n"
        "  ecomctl projections status --json | jq '.[].generations[].lag_events'\n\n"
        "  ecomctl projections rebuild sales_daily"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("status")
def status(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """Each projection's serving generation, its position in the log and its lag (events
    and seconds), and a rebuild underway or a replaced generation kept for its grace period.

    Examples:

      ecomctl projections status

      ecomctl projections status --json | jq '.[] | {name, current}'

    Exit codes: 0 shown; 1 no order service in the stack, or it does not answer.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    found = projection_status(tgt=state(ctx).target())
    if json_out:
        output.json(found)
        return
    rows = [
        [p["name"], str(g["generation"]), g["state"], str(g["position"]),
         str(g["lag_events"]), f"{g['lag_seconds']:.1f}"]
        for p in found
        for g in p["generations"]
    ]  # fmt: skip
    output.table(
        "projections",
        ["projection", "generation", "state", "position", "lag (events)", "lag (s)"],
        rows or [["-", "-", "not started", "-", "-", "-"]],
    )


@app.command("rebuild")
def rebuild(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="order_history, sales_daily or order_search.")],
    json_out: JsonDocument = False,
) -> None:
    """Rebuild a read model from the start of the event log into a new generation while
    the current one keeps serving; the service switches to it in one transaction once it
    has caught up, and drops the old one after a grace period (ECOM_PROJECTION_GRACE_S).
    Follows the rebuild until the switch.

    Examples:

      ecomctl projections rebuild order_history

      ecomctl projections rebuild sales_daily --json | jq .generation

    Exit codes: 0 switched; 1 unknown projection, a rebuild already underway, no order
    service in the stack, or it does not answer.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    report = rebuild_projection(tgt=state(ctx).target(), name=name, progress=output.info)
    if json_out:
        output.json(report)
        return
    previous = report["previous"]
    replaced = f" (replacing generation {previous})" if previous else ""
    output.success(
        f"{report['name']}: generation {report['generation']} serves{replaced}, "
        f"after {report['seconds']} s"
    )
