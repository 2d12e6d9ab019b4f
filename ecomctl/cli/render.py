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


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: print on stdout)."),
    ] = None,
) -> None:
    """Print or write the stack's Prometheus rules: the RED recording rules and the alerts
    (thresholds from `observability.alerts` in the stack file), as every `up` gives them to
    Prometheus.

    Examples:

      ecomctl render alerts

      ecomctl render alerts -o rules.yml && promtool check rules rules.yml
    """
    from ecomctl.alerts import render_rules

    cli = state(ctx)
    text = render_rules(cli.target().stack)
    if output_file is None:
        typer.echo(text, nl=False)
        return
    output_file.write_text(text)
    Output(debug=cli.debug).success(f"wrote {output_file}")
