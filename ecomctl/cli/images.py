"""`ecomctl images`: the docker runtime's local images (`--images local`), built here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output

app = typer.Typer(help="Build and list the docker runtime's local images.", no_args_is_help=True)


@app.command("build")
def build(
    ctx: typer.Context,
    images: Annotated[
        str, typer.Option("--images", help="Which images to build: only 'local' is built here.")
    ] = "local",
    json_out: JsonDocument = False,
) -> None:
    """Build every image of the stack without any registry (debootstrap base, cached artifacts).

    A warm run rebuilds nothing: each image carries a content-hash label.

    Examples:

      ecomctl images build

      ecomctl images build --json
    """
    from ecomctl.errors import UsageError
    from ecomctl.runtime.docker.image_set import build_all

    if images != "local":
        raise UsageError("ecomctl builds only --images local; official images come from registries")
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target(create=True)
    built = build_all(tgt.stack, tgt.workspace, progress=output.info)
    if json_out:
        output.json({"images": [asdict(image) for image in built]})
        return
    rebuilt = [image.name for image in built if image.rebuilt]
    output.success(f"{len(built)} image(s) ready, {len(rebuilt)} rebuilt")
    output.table(
        None,
        ["image", "content hash", "rebuilt"],
        [[image.name, image.content_hash, "yes" if image.rebuilt else "no"] for image in built],
    )


@app.command("list")
def list_(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """Show the local images that exist, their sizes and which components use them.

    Examples:

      ecomctl images list

      ecomctl images list --json
    """
    from ecomctl.runtime.docker.image_set import list_images

    output = Output(json_mode=json_out, debug=state(ctx).debug)
    rows = list_images()
    if json_out:
        output.json({"images": [asdict(row) for row in rows]})
        return
    output.table(
        "local images",
        ["image", "size MB", "used by", "content hash"],
        [[row.name, f"{row.size_mb:.0f}", row.used_by, row.content_hash] for row in rows],
    )
