"""`up`, `down`, `stop`, `restart`, `status`, `logs`, `doctor`: the stack's lifecycle, like
docker compose's verbs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ecomctl import operations
from ecomctl.cli.context import state
from ecomctl.cli.logs import logs
from ecomctl.cli.options import JsonDocument, component_names
from ecomctl.cli.terminal import Output
from ecomctl.runtime.base import ComponentStatus


class RuntimeChoice(StrEnum):
    auto = "auto"
    local = "local"
    docker = "docker"


def register(app: typer.Typer) -> None:
    for command in (up, down, stop, restart, status, logs, doctor):
        app.command(command.__name__)(command)


def up(
    ctx: typer.Context,
    runtime: Annotated[
        RuntimeChoice, typer.Option("--runtime", help="auto picks docker when an engine answers.")
    ] = RuntimeChoice.auto,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Components, comma-separated or repeated (their dependencies come too).",
        ),
    ] = None,
    port_offset: Annotated[
        int,
        typer.Option("--port-offset", help="Add N to every port of the stack.", min=0, max=50000),
    ] = 0,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Install missing components without asking.")
    ] = False,
    images: Annotated[
        str | None,
        typer.Option(
            "--images",
            help="docker runtime: 'official' (registries) or 'local' (built here, see "
            "`ecomctl images build`); default: what the workspace last used, else official.",
        ),
    ] = None,
    json_out: JsonDocument = False,
) -> None:
    """Start the stack (idempotent): install what is missing, start, wait until ready.

    Examples:

      ecomctl up

      ecomctl up --only kafka,postgres --port-offset 100

      ecomctl up --runtime local --yes --json

      ecomctl up --runtime docker --images local
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    # Names checked before the workspace is made: a typo in --only changes nothing.
    names = operations.component_names(tgt=cli.target(), only=component_names(only))
    tgt = cli.target(create=True)
    if tgt.workspace.created:
        output.info(f"created workspace {tgt.workspace.root}")
    allow_install = yes or _ask_install(output)
    with output.live_components(f"ecomctl up — {tgt.stack.name}", names) as board:
        runtime_used, statuses = operations.up(
            tgt=tgt,
            runtime=runtime.value,
            only=names,
            port_offset=port_offset,
            allow_install=allow_install,
            on_event=board.event,
            images=images,
        )
    shown = [s for s in statuses if s.name in names]
    if json_out:
        output.json(_status_json(runtime_used, tgt, shown))
        return
    output.success(
        f"{len(shown)} component(s) ready ({runtime_used} runtime, workspace {tgt.workspace.root})"
    )
    _status_table(output, shown)


def _ask_install(output: Output) -> bool:
    """Interactive users are asked once; scripts and CI must say --yes."""
    if not output.out.is_terminal:
        return False
    return typer.confirm("Install missing components if needed?", default=True)


def down(
    ctx: typer.Context,
    volumes: Annotated[
        bool, typer.Option("--volumes", "-v", help="Also delete every component's data.")
    ] = False,
    json_out: JsonDocument = False,
) -> None:
    """Stop everything `up` started in this workspace (and nothing else).

    Examples:

      ecomctl down

      ecomctl down --volumes
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    runtime_used, stopped = operations.down(tgt=tgt, volumes=volumes, on_event=lambda e: None)
    if json_out:
        output.json({"runtime": runtime_used, "stopped": stopped, "volumes_deleted": volumes})
        return
    output.success(
        f"stopped {len(stopped)} component(s)" + (" and deleted their data" if volumes else "")
    )


NamesArgument = Annotated[
    list[str],
    typer.Argument(help="Components, as `ecomctl status` names them.", show_default=False),
]


def stop(ctx: typer.Context, names: NamesArgument, json_out: JsonDocument = False) -> None:
    """Stop some components, keeping their data; `ecomctl up` or `restart` starts them again.

    Examples:

      ecomctl stop notification

      ecomctl stop kafka --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    names = component_names(names)
    runtime_used, stopped = operations.stop(tgt=tgt, names=names, on_event=lambda e: None)
    if json_out:
        output.json({"runtime": runtime_used, "stopped": stopped})
        return
    not_running = [name for name in names if name not in stopped]
    output.success(
        f"stopped {len(stopped)} component(s)"
        + (f"; not running: {', '.join(not_running)}" if not_running else "")
    )


def restart(ctx: typer.Context, names: NamesArgument, json_out: JsonDocument = False) -> None:
    """Stop some components and start them again, at the offset the stack runs with.

    A service starts again with its current code and the env of ecomctl.yaml.
    What a component depends on is started too if it is not running.

    Examples:

      ecomctl restart order

      ecomctl restart order payment --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    names = component_names(names)
    with output.live_components(f"ecomctl restart — {tgt.stack.name}", names) as board:
        runtime_used, statuses = operations.restart(tgt=tgt, names=names, on_event=board.event)
    shown = [s for s in statuses if s.name in names]
    if json_out:
        output.json(_status_json(runtime_used, tgt, shown))
        return
    output.success(f"{len(shown)} component(s) restarted and ready ({runtime_used} runtime)")
    _status_table(output, shown)


def status(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """Health, ports, pids, uptime and memory of every component.

    Exit code 0 when every component is ready, 1 otherwise.

    Examples:

      ecomctl status

      ecomctl status --json | jq '.components[] | {name, state}'
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    runtime_used, statuses = operations.status(tgt=tgt)
    if json_out:
        output.json(_status_json(runtime_used, tgt, statuses))
    else:
        output.info(f"workspace {tgt.workspace.root} — {runtime_used} runtime")
        _status_table(output, statuses)
    if any(s.state != "ready" for s in statuses):
        raise typer.Exit(1)


def doctor(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """What is installed, what is missing, and how to get it.

    Exit code 0 when everything the stack needs is present, 1 otherwise.

    Examples:

      ecomctl doctor

      ecomctl doctor --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    report = operations.presence(tgt=tgt)
    tools = operations.tool_report()
    from ecomctl.runtime.docker.engine_report import engine_report

    engine = engine_report()
    if json_out:
        output.json(
            {
                "components": [
                    {
                        "name": p.name,
                        "installed": p.installation is not None,
                        "version": p.installation.version if p.installation else None,
                        "source": p.installation.source if p.installation else None,
                        "hint": None if p.installation else p.hint,
                    }
                    for p in report
                ],
                "tools": tools,
                "docker": engine,
            }
        )
    else:
        output.table(
            "components",
            ["component", "status", "version", "source", "how to get it"],
            [
                [
                    p.name,
                    "present" if p.installation else "MISSING",
                    p.installation.version if p.installation else "",
                    p.installation.source if p.installation else "",
                    "" if p.installation else p.hint,
                ]
                for p in report
            ],
        )
        output.table(
            "tools",
            ["tool", "found"],
            [[name, where or "MISSING"] for name, where in tools.items()],
        )
        _engine_table(output, engine)
    if any(p.installation is None for p in report):
        raise typer.Exit(1)


def _engine_table(output: Output, engine: dict[str, object]) -> None:
    images = engine["local_images"]
    rows: list[list[object]] = [
        ["client", engine["client"] or "MISSING"],
        ["daemon", f"answers, version {engine['version']}" if engine["daemon"] else "NOT RUNNING"],
        ["storage driver", engine["storage_driver"] or ""],
        ["compose", engine["compose"] or "MISSING"],
        ["local images", f"{len(images)} ecomctl-local/*" if isinstance(images, list) else ""],
    ]
    output.table("docker engine (the docker runtime; optional)", ["", ""], rows)
    if engine["hint"]:
        output.info(f"docker: {engine['hint']}")


def _status_json(
    runtime: str, tgt: operations.Target, statuses: list[ComponentStatus]
) -> dict[str, object]:
    return {
        "runtime": runtime,
        "workspace": str(tgt.workspace.root),
        "components": [s.to_json() for s in statuses],
        "total_rss_mb": round(sum(s.rss_mb or 0 for s in statuses), 1),
    }


def _status_table(output: Output, statuses: list[ComponentStatus]) -> None:
    rows = []
    for s in statuses:
        extra = ", ".join(f"{k} {v}" for k, v in s.ports.items())
        port = f"127.0.0.1:{s.port}" + (f" ({extra})" if extra else "")
        detail = s.detail if len(s.detail) <= 60 else s.detail[:57] + "..."
        rows.append(
            [
                s.name,
                s.state,
                port,
                s.pid or "",
                _uptime(s.uptime_s),
                f"{s.rss_mb:.0f} MB" if s.rss_mb else "",
                detail,
            ]
        )
    output.table(
        None, ["component", "state", "listens on", "pid", "uptime", "memory", "detail"], rows
    )
    total = sum(s.rss_mb or 0 for s in statuses)
    if total:
        output.info(f"total memory: {total:.0f} MB")


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
