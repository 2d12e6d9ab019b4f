"""`ecomctl scenario NAME`: run a saga scenario against the running stack and tell the story."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import ExitCode, UsageError
from ecomctl.scenarios import ScenarioResult, StepResult, list_scenarios, run_scenario

_ACTOR_STYLE = {
    "client": "bold",
    "order": "cyan",
    "inventory": "magenta",
    "payment": "green",
    "notification": "yellow",
}


def register(app: typer.Typer) -> None:
    app.command("scenario")(scenario)


def scenario(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="The scenario to run (see --list).", show_default=False)
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", "-l", help="List the scenarios, one line each.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Seconds for the whole scenario (default: its own).", min=1),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Steps, timings, checks, timeline, final state as JSON.")
    ] = False,
) -> None:
    """Drive the running stack through the gateway as a client would, follow the order to
    its end, check every service, and print the timeline. Exit 0 only when every check holds.

    Examples:

      ecomctl scenario --list

      ecomctl scenario order-happy-path

      ecomctl scenario crash-recovery --timeout 180 --json > result.json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    if list_only:
        found = list_scenarios(tgt=tgt)
        if json_out:
            output.json([{"name": s.name, "description": s.description} for s in found])
        else:
            output.table(
                None, ["scenario", "what it shows"], [(s.name, s.description) for s in found]
            )
        return
    if not name:
        raise UsageError("name a scenario to run, or pass --list")
    listener = None if json_out else (lambda step: _show_step(output, step))
    if not json_out:
        output.info(f"scenario {name}")
    result = run_scenario(tgt=tgt, name=name, timeout_s=timeout, on_step=listener)
    if json_out:
        output.json(result.to_json())
    else:
        _show(output, result)
    if not result.ok:
        raise typer.Exit(ExitCode.FAILED)


def _show_step(output: Output, step: StepResult) -> None:
    mark = Text("  ✓ ", style="green") if step.ok else Text("  ✗ ", style="bold red")
    line = Text.assemble(
        mark,
        f"{step.number:>2} {step.action:<15}",
        step.summary,
        (f"  ({step.duration_s:.2f} s)", "dim"),
    )
    output.out.print(line)
    if step.detail:
        output.out.print(Text(f"       {step.detail}", style="red"))


def _show(output: Output, result: ScenarioResult) -> None:
    output.out.print(_timeline_table(result))
    checks = Table(title="checks", title_justify="left", show_edge=False, pad_edge=False)
    for column in ("", "check", "expected", "actual"):
        checks.add_column(column)
    for check in result.checks:
        mark = Text("✓", style="green") if check.ok else Text("✗", style="bold red")
        checks.add_row(mark, check.name, str(check.expected), str(check.actual))
    output.out.print(checks)
    summary = f"{result.name}: {'passed' if result.ok else 'FAILED'} in {result.duration_s:.1f} s"
    if result.ok:
        output.success(summary)
    else:
        output.error(summary + (f" — {result.error}" if result.error else ""))


def _timeline_table(result: ScenarioResult) -> Table:
    table = Table(title="timeline", title_justify="left", show_edge=False, pad_edge=False)
    for column in ("+ms", "who", "did", "because of", "seen at", "detail"):
        table.add_column(column)
    start = result.timeline[0].at if result.timeline else None
    for entry in result.timeline:
        offset = (entry.at - start).total_seconds() * 1000 if start else 0.0
        action = entry.action + (" (redelivered)" if entry.redelivery else "")
        table.add_row(
            f"{offset:,.0f}",
            Text(entry.actor, style=_ACTOR_STYLE.get(entry.actor, "")),
            action,
            entry.caused_by or "",
            entry.origin,
            entry.detail,
        )
    return table
