"""`deploy`, `switch`, `rollback`, `traffic status`: releases without downtime.

A new version starts beside the serving one as the other color (`deploy`), takes traffic
step by step while gates judge each step (`switch`), and is either promoted (the old color
drained and stopped) or rolled back (all traffic back, the new color stopped).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import ExitCode, UsageError
from ecomctl.rollout import release
from ecomctl.rollout import state as rollout_state
from ecomctl.rollout.gates import DEFAULT_GATES, parse_gates
from ecomctl.rollout.switch import RolledBack, Switch, SwitchPlan
from ecomctl.runtime.base import UpEvent

JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object per line on stdout (events, result).")
]
DocumentOption = Annotated[
    bool, typer.Option("--json", help="The rollout record as one JSON document on stdout.")
]
DEFAULT_STEPS = "10,25,50,100"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")

traffic_app = typer.Typer(
    help=(
        "Where each service's traffic goes: colors, weights and live figures.\n\n"
        "Examples:\n\n"
        "  ecomctl traffic status\n\n"
        "  ecomctl traffic status --json --window 5s"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("switch")(switch)
    app.command("rollback")(rollback)
    app.add_typer(traffic_app, name="traffic")


# ---- parsing --------------------------------------------------------------------------------
def parse_duration(text: str, option: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{option} {text!r}: write a duration like 30s, 2m or 500ms")
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value / 1000 if unit == "ms" else value * 60 if unit == "m" else value


def parse_steps(text: str) -> list[int]:
    """'10,25,50,100' -> [10, 25, 50, 100]: percents that rise to 100."""
    try:
        steps = [int(part.strip().rstrip("%")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--steps {text!r}: write percents like 10,25,50,100") from None
    if not steps or steps[-1] != 100:
        raise UsageError(f"--steps {text!r}: the last step must be 100 (the whole traffic)")
    if any(not 0 <= s <= 100 for s in steps) or steps != sorted(set(steps)):
        raise UsageError(f"--steps {text!r}: percents from 0 to 100, each above the one before")
    return steps


def parse_shares(text: str) -> dict[str, int]:
    """'blue=90,green=10' (or 'green=10': the other color takes the rest) -> percents."""
    shares: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        color, sep, value = part.partition("=")
        release.check_color(color.strip())
        try:
            share = int(value.strip().rstrip("%")) if sep else -1
        except ValueError:
            share = -1
        if not 0 <= share <= 100:
            raise UsageError(f"{part!r}: write COLOR=PERCENT, e.g. blue=90,green=10")
        shares[color.strip()] = share
    if not shares:
        raise UsageError(f"{text!r}: write COLOR=PERCENT, e.g. blue=90,green=10")
    if len(shares) == 2 and sum(shares.values()) != 100:
        raise UsageError(f"{text!r}: the shares add up to {sum(shares.values())}%, not 100%")
    return shares


def parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", key):
            raise UsageError(f"--env {pair!r}: write NAME=value (NAME in capitals)")
        env[key] = value
    return env


# ---- deploy ---------------------------------------------------------------------------------
def deploy(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="The service to release.")],
    color: Annotated[
        str | None,
        typer.Option("--color", help="blue or green (default: the one not serving now)."),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--from", help="Run the service's code from this folder."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Run the service as it was at this git ref."),
    ] = None,
    replicas: Annotated[int, typer.Option("--replicas", help="Instances of the new color.")] = 1,
    allow_contract: Annotated[
        bool,
        typer.Option(
            "--allow-contract", help="Apply destructive (contract) migrations now anyway."
        ),
    ] = False,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="NAME=value for the new instances (e.g. ECOM_FAULTS=...)."),
    ] = None,
    allow_breaking_events: Annotated[
        bool,
        typer.Option(
            "--allow-breaking-events",
            help="Start it even if the serving color could not read its events.",
        ),
    ] = False,
    json_out: DocumentOption = False,
) -> None:
    """Start a new version of a service beside the serving one, with no traffic yet.

    Its pending expand migrations are applied first; a destructive one is refused. Once it
    runs, the serving color must be able to read its events (their contracts, compared as
    `ecomctl events check` does), or it is stopped again.

    Examples:

      ecomctl deploy order --color green

      ecomctl deploy order --from ./services/order --replicas 2

      ecomctl deploy payment --version v1.4.0

      ecomctl deploy order --env ECOM_FAULTS=error_rate=0.3   # a bad release, on purpose
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    extra_env = parse_env(env or [])

    def on_event(event: UpEvent) -> None:
        if not json_out:
            output.line(event.component, f"{event.phase} {event.message}".strip(), "cyan")

    rollout = release.deploy(
        tgt,
        service,
        color=color,
        source=source,
        version_ref=version,
        replicas=replicas,
        allow_contract=allow_contract,
        env=extra_env,
        on_event=on_event,
        allow_breaking_events=allow_breaking_events,
    )
    if json_out:
        output.json(rollout.to_dict())
        return
    output.success(
        f"{service}: {rollout.canary} {rollout.canary_version} is up beside "
        f"{rollout.stable} {rollout.stable_version}, with no traffic"
    )
    output.info(f"next: ecomctl switch {service}   (or: ecomctl rollback {service})")


# ---- switch ---------------------------------------------------------------------------------
def switch(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="The service whose new color takes traffic.")],
    strategy: Annotated[
        str, typer.Option("--strategy", help="canary (step by step) or bluegreen (0 then 100).")
    ] = "canary",
    steps: Annotated[
        str, typer.Option("--steps", help="Percents of traffic for the new color, rising to 100.")
    ] = DEFAULT_STEPS,
    pause: Annotated[
        str, typer.Option("--pause", help="How long each step is measured (30s, 2m).")
    ] = "30s",
    gate: Annotated[
        str,
        typer.Option(
            "--gate",
            help="What a step must show: success>=99.5%,p95<=250ms,compare (see docs).",
        ),
    ] = DEFAULT_GATES,
    preview_header: Annotated[
        str | None,
        typer.Option(
            "--preview-header",
            help="First a step at 0% where only requests with X-Color: <new color> reach it.",
        ),
    ] = None,
    scale_down_delay: Annotated[
        str,
        typer.Option("--scale-down-delay", help="After promotion, before the old color stops."),
    ] = "30s",
    max_holds: Annotated[
        int,
        typer.Option(
            "--max-holds",
            help="Extra windows an inconclusive step is measured for (cumulatively).",
        ),
    ] = 10,
    min_requests: Annotated[
        int, typer.Option("--min-requests", help="Requests before rates and latency are judged.")
    ] = 20,
    json_out: JsonOption = False,
) -> None:
    """Move traffic to the new color step by step; promote it, or roll back automatically.

    Each step is measured over --pause: requests, errors, p50/p95 and consumed events per
    color, judged by --gate (and, with `compare`, green against blue on the same window).
    Exit 0 when promoted, 1 when rolled back, 130 when interrupted (weights stay; run
    switch again to resume, or rollback to abort).

    Examples:

      ecomctl switch order

      ecomctl switch order --steps 10,25,50,100 --pause 30s --gate "success>=99.5%,p95<=250ms"

      ecomctl switch order --strategy bluegreen --preview-header X-Color

      ecomctl switch order --json | jq -c 'select(.event=="analysis")'
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    release.check_releasable(tgt, service)
    plan = _plan(strategy, steps, pause, gate, preview_header, scale_down_delay, max_holds)
    plan.min_requests = min_requests
    rollout = release.open_rollout(tgt, service)
    with rollout_state.exclusive(tgt.workspace, service):
        rollout = release.open_rollout(tgt, service)  # as it is now we hold the lock
        if rollout.steps and rollout.steps != plan.steps and rollout.step_index > 0:
            output.warning(f"resuming with the steps already begun: {rollout.steps}")
            plan.steps = rollout.steps
        board = _Board(output, rollout.stable, rollout.canary, json_out)
        ports = release.stack_ports(tgt, on_event=lambda e: None)
        runner = Switch(tgt.workspace, rollout, plan, ports, board.emit)
        try:
            with board.live():
                runner.run()
        except RolledBack as back:
            if not json_out:
                output.error(f"{service}: rolled back — {back.reason}")
            raise typer.Exit(ExitCode.FAILED) from None
        except KeyboardInterrupt:
            output.error(
                f"interrupted: {service}'s {rollout.canary} keeps {rollout.weight}% of traffic",
                hint=f"resume: ecomctl switch {service}   abort: ecomctl rollback {service}",
            )
            raise typer.Exit(ExitCode.INTERRUPTED) from None
    if not json_out:
        output.success(
            f"{service}: {rollout.canary} {rollout.canary_version} promoted; "
            f"{rollout.stable} drained and stopped"
        )


def _plan(
    strategy: str,
    steps: str,
    pause: str,
    gate: str,
    preview_header: str | None,
    scale_down_delay: str,
    max_holds: int,
) -> SwitchPlan:
    if strategy not in ("canary", "bluegreen"):
        raise UsageError(f"--strategy {strategy!r}: choose canary or bluegreen")
    if preview_header is not None and preview_header.lower() != "x-color":
        raise UsageError(
            f"--preview-header {preview_header!r}: the gateway routes previews by X-Color"
        )
    chosen = [0, 100] if strategy == "bluegreen" else parse_steps(steps)
    if preview_header and chosen[0] != 0:
        chosen = [0, *chosen]
    if max_holds < 0:
        raise UsageError("--max-holds: 0 or more")
    return SwitchPlan(
        steps=chosen,
        pause_s=parse_duration(pause, "--pause"),
        gates=parse_gates(gate),
        gate_text=gate,
        strategy=strategy,
        scale_down_delay_s=parse_duration(scale_down_delay, "--scale-down-delay"),
        max_holds=max_holds,
    )


class _Board:
    """The switch's progress: a table redrawn in place on a terminal, lines elsewhere,
    one JSON object per event with --json."""

    def __init__(self, output: Output, stable: str, canary: str, json_out: bool) -> None:
        self.output = output
        self.stable, self.canary = stable, canary
        self.json_out = json_out
        self.last: dict[str, Any] = {}
        self.weight = 0
        self.decisions: list[str] = []
        self._live: Live | None = None

    def live(self) -> Any:
        import contextlib

        if self.json_out or not self.output.out.is_terminal:
            return contextlib.nullcontext()
        self._live = Live(self.render(), console=self.output.out, refresh_per_second=4)
        return self._live

    def emit(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if self.json_out:
            if kind != "tick":
                sys.stdout.write(json.dumps({"at": round(time.time(), 3), **event}) + "\n")
                sys.stdout.flush()
            return
        if "weight" in event:
            self.weight = int(event["weight"])
        if "canary" in event:
            self.last = event
        line = _describe(event)
        if line:
            self.decisions.append(line)
        if self._live is not None:
            self._live.update(self.render())
        elif line:
            self.output.info(line)

    def render(self) -> Table:
        table = Table(
            title=f"{self.canary} at {self.weight}%",
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        for column in ("color", "requests", "rps", "success", "p50", "p95", "events", "failed"):
            table.add_column(column)
        for color, key in ((self.stable, "stable"), (self.canary, "canary")):
            figures = self.last.get(key) or {}
            table.add_row(
                color,
                _cell(figures.get("requests")),
                _cell(figures.get("rps"), "{:.1f}"),
                _cell(figures.get("success_pct"), "{:.2f}%"),
                _cell(figures.get("p50_ms"), "{:.0f} ms"),
                _cell(figures.get("p95_ms"), "{:.0f} ms"),
                _cell(figures.get("events_handled")),
                _cell(figures.get("event_failures")),
            )
        for line in self.decisions[-6:]:
            table.add_row(Text(line, style="dim"), *[""] * 7)
        return table


def _cell(value: Any, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def _describe(event: dict[str, Any]) -> str:
    kind = event.get("event")
    if kind == "weights":
        shares = ", ".join(f"{color} {share}%" for color, share in event["colors"].items())
        return f"traffic: {shares}"
    if kind == "analysis":
        step = f"step {event['step']}/{event['of']} at {event['weight']}%"
        return f"{step}: {event['verdict']} — {event['summary']}"
    if kind == "rolling-back":
        return f"rolling back: {event['reason']}"
    if kind == "draining":
        return f"draining {event['color']} ({event['delay_s']:.0f} s before it stops)"
    if kind in ("promoted", "rolled-back"):
        stopped = ", ".join(event.get("stopped", [])) or "nothing"
        return f"{'promoted' if kind == 'promoted' else 'rolled back'}; stopped {stopped}"
    return ""


# ---- rollback -------------------------------------------------------------------------------
def rollback(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="The service whose new color is abandoned.")],
    json_out: JsonOption = False,
) -> None:
    """All traffic back to the serving color; the new color's instances stop.

    Examples:

      ecomctl rollback order

      ecomctl rollback order --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    board = _Board(output, "", "", json_out)
    rollout = release.rollback(tgt, service, emit=board.emit, on_event=lambda e: None)
    if not json_out:
        output.success(f"{service}: all traffic on {rollout.stable}; {rollout.canary} stopped")


# ---- traffic set ----------------------------------------------------------------------------
@traffic_app.command("set")
def set_shares(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="The service whose traffic is split.")],
    shares: Annotated[str, typer.Argument(help="COLOR=PERCENT[,COLOR=PERCENT], adding to 100.")],
    json_out: DocumentOption = False,
) -> None:
    """Split a service's traffic between its two colors by hand, no gates (a manual step).

    The release stays open: `ecomctl switch SERVICE` goes on with the gated steps,
    `ecomctl rollback SERVICE` aborts it. Refused while a switch moves the service.

    Examples:

      ecomctl traffic set order green=10

      ecomctl traffic set order blue=50,green=50
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    wanted = parse_shares(shares)
    rollout = release.set_traffic(cli.target(), service, wanted)
    if json_out:
        output.json(rollout.to_dict())
        return
    output.success(
        f"{service}: {rollout.canary} {rollout.weight}%, {rollout.stable} {100 - rollout.weight}%"
    )


# ---- traffic status -------------------------------------------------------------------------
@traffic_app.command("status")
def status(
    ctx: typer.Context,
    window: Annotated[
        str, typer.Option("--window", help="How long to measure live figures (0 = none).")
    ] = "2s",
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Each service's colors: instances, share of traffic, version, live rps/p95/errors,
    and the state of its release (an interrupted switch says how to go on).

    Examples:

      ecomctl traffic status

      ecomctl traffic status --json --window 0
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    seconds = parse_duration(window, "--window")
    from ecomctl.rollout.overview import overview

    rows = overview(tgt, window_s=seconds)
    if json_out:
        output.json({"services": rows})
        return
    output.table(
        None,
        ("service", "color", "instances", "traffic", "version", "rps", "p95", "errors", "release"),
        [
            (
                row["service"],
                row["color"],
                row["instances"],
                f"{row['share']}%",
                row["version"],
                _cell(row.get("rps"), "{:.1f}"),
                _cell(row.get("p95_ms"), "{:.0f} ms"),
                _cell(row.get("error_pct"), "{:.2f}%"),
                row.get("release", ""),
            )
            for row in rows
        ],
    )
    for row in rows:
        if row.get("hint"):
            output.warning(f"{row['service']}: {row['hint']}")
