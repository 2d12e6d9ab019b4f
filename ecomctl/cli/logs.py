"""`ecomctl logs`: the stack's logs, merged; with filters, one time-ordered view of the
services' JSON lines (by trace or order, service, level, age)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.text import Text

from ecomctl import operations
from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import UsageError
from ecomctl.loadtest.options import parse_duration
from ecomctl.runtime.base import LogLine
from ecomctl.traces import logs as service_logs
from ecomctl.traces.lookup import order_service, resolve_trace_id

COLOURS = ["cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta",
           "bright_green", "bright_yellow", "bright_blue"]  # fmt: skip
LEVEL_STYLE = {"WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold red"}
DEFAULT_TAIL = 50


def logs(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Components (default: all).", show_default=False)
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    tail: Annotated[
        int | None,
        typer.Option(
            "--tail",
            "-n",
            min=0,
            help="Lines per component to start with (0 = all); with a filter, the last N "
            "matching lines of the merged view.  [default: 50, all with a filter]",
            show_default=False,
        ),
    ] = None,
    trace: Annotated[
        str | None,
        typer.Option("--trace", help="Only lines of this trace id, or of this order id's trace."),
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only this service (repeatable).", show_default=False),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Only lines at this level or above (warning).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only lines newer than a duration (10m, 2h) or a time (ISO)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="The matching lines as one JSON document.")
    ] = False,
) -> None:
    """Logs of the stack, merged and prefixed with component names.

    With --trace, --level, --since or --json, only the services' JSON lines are shown,
    merged across services in time order (infrastructure logs are plain text: leave the
    filters out to read them). An order id is enough for --trace: the order service
    records the trace each order was placed in.

    Examples:

      ecomctl logs

      ecomctl logs kafka postgres -f

      ecomctl logs --trace 42

      ecomctl logs --service payment --level warning --since 10m

      ecomctl logs --trace 4bf92f3577b34da6a3ce929d0e0e4736 --json | jq '.lines[].message'

    Exit codes: 0 shown; 1 the order is unknown or its service not running; 2 a bad option.
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    components = [*(names or []), *(service or [])]
    filtered = bool(trace or level or since or json_out or service)
    if not filtered:
        _plain(output, operations.logs(tgt=tgt, names=components, follow=follow,
                                       tail=DEFAULT_TAIL if tail is None else tail))  # fmt: skip
        return
    if follow and json_out:
        raise UsageError("--json prints one document: leave out --follow")
    order_id, trace_id = (None, None)
    if trace:
        order_id, trace_id = resolve_trace_id(trace, order_service(tgt))
    wanted = service_logs.LogFilter(
        trace_id=trace_id,
        min_level=service_logs.level_number(level) if level else 0,
        since=_since(since) if since else None,
    )
    lines = operations.logs(tgt=tgt, names=components, follow=False, tail=0)
    entries = service_logs.merged_in_time(lines, wanted)
    if tail:
        entries = entries[-tail:]
    if json_out:
        output.json({"traceId": trace_id, "orderId": order_id, "count": len(entries),
                     "lines": [e.to_json() for e in entries]})  # fmt: skip
        return
    colours: dict[str, str] = {}
    for entry in entries:
        _show(output, entry, colours)
    if follow:
        live = operations.logs(tgt=tgt, names=components, follow=True, tail=1)
        for entry in service_logs.selected(live, wanted):
            if not entries or entry.at > entries[-1].at:
                _show(output, entry, colours)


def _plain(output: Output, lines: Iterable[LogLine]) -> None:
    colours: dict[str, str] = {}
    for line in lines:
        colour = colours.setdefault(line.component, COLOURS[len(colours) % len(COLOURS)])
        output.line(line.component.ljust(10), line.text, colour)


def _show(output: Output, entry: service_logs.Entry, colours: dict[str, str]) -> None:
    colour = colours.setdefault(entry.component, COLOURS[len(colours) % len(COLOURS)])
    at = entry.at.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3]
    output.out.print(
        Text.assemble(
            (f"{at} ", "dim"),
            (f"{entry.component:<15} ", colour),
            (f"{entry.level:<8} ", LEVEL_STYLE.get(entry.level, "")),
            entry.message,
        ),
        soft_wrap=True,
    )


def _since(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.now(UTC) - timedelta(seconds=parse_duration(text))
        except UsageError:
            raise UsageError(
                f"--since {text!r}: write a duration (30s, 10m, 2h) or a time (2026-12-06T22:10:00)"
            ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
