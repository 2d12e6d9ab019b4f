"""`ecomctl init`: a workspace a team owns: its stack file and its generated services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl import scaffold
from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.runtime.base import UpEvent


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(help="The workspace folder (default: the current one).", show_default=False),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Create a workspace: ecomctl.yaml from the default stack, and every enabled service.

    An existing ecomctl.yaml is kept; services already generated are left alone.

    Examples:

      ecomctl init shop && cd shop && ecomctl up
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    root = directory or cli.workspace or Path.cwd()
    with output.live_components("ecomctl init", []) as board:
        result = scaffold.init_workspace(
            root=root, progress=lambda name, line: board.event(UpEvent(name, "install", line))
        )
    if json_out:
        output.json(
            {
                "workspace": str(result.workspace),
                "stack_file": str(result.stack_file),
                "stack_written": result.stack_written,
                "generated": [str(g.path) for g in result.generated],
            }
        )
        return
    verb = "wrote" if result.stack_written else "kept"
    output.success(f"{verb} {result.stack_file}; generated {len(result.generated)} service(s)")
    for generated in result.generated:
        output.info(f"  {generated.path} ({generated.kind} {generated.template_version})")
    output.info(f"next: cd {result.workspace} && ecomctl up")
