"""`ecomctl render`: files for other tools, rendered from the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl import operations
from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output

app = typer.Typer(help="Render deployment files from the stack.", no_args_is_help=True)


@app.command("compose")
def compose(
    ctx: typer.Context,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: <workspace>/compose.yaml)."),
    ] = None,
    port_offset: Annotated[int, typer.Option("--port-offset", min=0, max=50000)] = 0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Write a docker compose file for the stack (official images, health checks).

    Examples:

      ecomctl render compose

      ecomctl render compose -o compose.yaml && docker compose -f compose.yaml up -d --wait
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target(create=output_file is None)
    written = operations.render_compose(tgt=tgt, port_offset=port_offset, output_file=output_file)
    if json_out:
        output.json({"path": str(written)})
    else:
        output.success(f"wrote {written}")
