"""`ecomctl watch ORDER_ID`: an order's saga steps, live, as the platform pushes them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.text import Text

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.tracking.follow import Step
from ecomctl.tracking.watch import watch_order

STEP_STYLE = {
    "created": "cyan",
    "reserved": "blue",
    "paid": "bold green",
    "shipped": "green",
    "cancelled": "bold red",
}
STEPS = tuple(STEP_STYLE)


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


def watch(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(min=1, help="The order to follow.")],
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="ECOMCTL_TOKEN",
            help="A user's access token (default: an operator ADMIN token from the "
            "workspace's key, which may follow any order).",
        ),
    ] = None,
    last_event: Annotated[
        int, typer.Option("--last-event", min=0, help="Resume after this event position.")
    ] = 0,
    until: Annotated[
        list[str] | None,
        typer.Option("--until", help=f"Stop after this step ({', '.join(STEPS)}); repeatable."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Stop after this many seconds without a step."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per step.")] = False,
) -> None:
    """Follow an order live: each saga step (created, reserved, paid, cancelled with its
    reason, shipped) as it is committed, through the gateway's WebSocket.

    It ends when the order is cancelled or shipped, at an --until step, after --timeout
    seconds without a step, or on Ctrl-C. A dropped connection is resumed after the last
    step seen (nothing missed, nothing repeated).

    Examples:

      ecomctl watch 42

      ecomctl watch 42 --until paid --until cancelled --timeout 60

      ecomctl watch 42 --json | jq -r .step

      ECOMCTL_TOKEN=$TOKEN ecomctl watch 42

    Exit codes: 0 the stream ended (or --until / --timeout); 1 the token was refused (4401),
    the order is someone else's (4403) or unknown (4404), or the gateway cannot be reached.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    unknown = sorted(set(until or ()) - set(STEPS))
    if unknown:
        raise typer.BadParameter(f"unknown step {', '.join(unknown)}", param_hint="--until")
    steps = watch_order(
        tgt=state(ctx).target(),
        order_id=order_id,
        token=token,
        last_event=last_event,
        until=frozenset(until or ()),
        timeout_s=timeout,
    )
    if not json_out:
        output.info(f"following order {order_id} (Ctrl-C to stop)")
    try:
        for step in steps:
            if json_out:
                output.json_line(step.to_json())
            else:
                output.show(render(step))
    except KeyboardInterrupt:
        return


def render(step: Step) -> Text:
    received = dt.datetime.fromtimestamp(step.received_at).strftime("%H:%M:%S.%f")[:-3]
    line = Text.assemble(
        (f"{received}  ", "dim"),
        (f"{step.step:<10}", STEP_STYLE.get(step.step, "")),
        (f" {step.type}", "dim"),
        f"  #{step.event}",
    )
    if step.reason:
        line.append(f"  reason: {step.reason}", "red")
    return line
