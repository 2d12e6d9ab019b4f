"""`ecomctl generate`: add a service from a template, or update services after a template change."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl import scaffold
from ecomctl.cli.context import state
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output
from ecomctl.errors import ExitCode
from ecomctl.scaffold.templates import available_kinds

app = typer.Typer(
    help=(
        "Generate services from templates and keep them up to date.\n\n"
        "Examples:\n\n"
        "  ecomctl generate service billing --template order --port 8090\n\n"
        "  ecomctl generate update            # every generated service\n\n"
        "  ecomctl generate update user-auth\n\n"
        "  ecomctl generate tables order       # after adding a migration"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("service")
def service(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new service's name (lower-case, digits, -).")],
    template: Annotated[
        str, typer.Option("--template", "-t", help="The template (service kind) to render.")
    ],
    port: Annotated[
        int | None,
        typer.Option("--port", help="HTTP port (default: the first free from 8090).", min=1024),
    ] = None,
    json_out: JsonDocument = False,
) -> None:
    """Render a template into services/NAME and add the service to ecomctl.yaml.

    Examples:

      ecomctl generate service billing --template order --port 8090
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    done = scaffold.add_service(workspace=tgt.workspace, name=name, kind=template, port=port)
    if json_out:
        output.json(
            {
                "name": done.name,
                "template": done.kind,
                "path": str(done.path),
                "template_version": done.template_version,
            }
        )
        return
    output.success(f"generated {done.path} from template {done.kind} ({done.template_version})")
    output.info("start it with `ecomctl up`")


@app.command("update")
def update(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Services to update (default: every generated one).", show_default=False
        ),
    ] = None,
    json_out: JsonDocument = False,
) -> None:
    """Merge template changes into generated services, keeping your edits (copier update).

    Uncommitted edits in a workspace repository ecomctl created are committed
    first; in your own repository, commit or stash them yourself. Conflicts
    are left inline in the files and the exit code is 1.

    Examples:

      ecomctl generate update

      ecomctl generate update user-auth gateway
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    results = scaffold.update_services(workspace=tgt.workspace, names=names or [])
    if json_out:
        output.json(
            [
                {
                    "name": r.name,
                    "template": r.kind,
                    "from": r.from_version,
                    "to": r.to_version,
                    "conflicts": r.conflicts,
                    "committed_local_edits": r.kept_local_edits,
                }
                for r in results
            ]
        )
    else:
        output.table(
            None,
            ["service", "template", "from", "to", "result"],
            [
                [
                    r.name,
                    r.kind,
                    r.from_version,
                    r.to_version,
                    f"CONFLICTS: {', '.join(r.conflicts)}" if r.conflicts else "updated",
                ]
                for r in results
            ],
        )
    if any(r.conflicts for r in results):
        if not json_out:
            output.error("resolve the conflicts, then commit", hint="git diff shows the markers")
        raise typer.Exit(ExitCode.FAILED)


@app.command("tables")
def tables(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Services to refresh (default: every generated one with SQL migrations).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if a schema.py is stale (for CI)."),
    ] = False,
    json_out: JsonDocument = False,
) -> None:
    """Render a service's tables from its migrations into src/<package>/adapters/schema.py.

    The migrations (db/migration/V*.sql) own the schema: the SQLAlchemy Core
    declarations the code queries through are read from them, never written by
    hand. `generate` and `generate update` render them; after adding a migration,
    run this (and commit the file with the migration). --check compares only.

    Examples:

      ecomctl generate tables order

      ecomctl generate tables --check        # every service; exit 1 on drift

      ecomctl generate tables user-auth --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    workspace = cli.target().workspace
    results = scaffold.refresh_schemas(workspace=workspace, names=names or [], check=check)
    stale = [name for name, done in results if done.changed] if check else []
    if json_out:
        output.json(
            [
                {
                    "name": name,
                    "path": str(done.path),
                    "tables": done.tables,
                    "scripts": done.scripts,
                    ("stale" if check else "written"): done.changed,
                }
                for name, done in results
            ]
        )
    else:
        verdict = "STALE" if check else "written"
        output.table(
            None,
            ["service", "tables", "scripts", "schema.py"],
            [
                [
                    name,
                    str(len(done.tables)),
                    str(done.scripts),
                    (verdict if done.changed else "up to date"),
                ]
                for name, done in results
            ],
        )
    if stale:
        if not json_out:
            output.error(
                f"schema.py differs from the migrations: {', '.join(stale)}",
                hint=f"run `ecomctl generate tables {' '.join(stale)}` and commit the files",
            )
        raise typer.Exit(ExitCode.FAILED)


@app.command("templates")
def templates(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """List the templates (service kinds) you can generate from."""
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    kinds = available_kinds()
    if json_out:
        output.json(kinds)
    else:
        output.info("\n".join(kinds) or "no templates found")
