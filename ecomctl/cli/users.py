"""`ecomctl users`: accounts the platform needs before anyone can log in as an admin."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.runtime.local.state import RuntimeState
from ecomctl.users import create_admin as create_admin_user

app = typer.Typer(
    help="Manage platform users with the user-auth service's own admin command.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    username: Annotated[str, typer.Option("--username", "-u", help="The admin's username.")],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            "-p",
            help="At least 8 characters, letters and digits.",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="ECOMCTL_ADMIN_PASSWORD",
        ),
    ],
    email: Annotated[
        str | None,
        typer.Option("--email", help="Default: user-auth's, USERNAME@localhost.localdomain."),
    ] = None,
    port_offset: Annotated[
        int | None,
        typer.Option("--port-offset", help="Default: the offset the stack runs with.", min=0),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Create the first ADMIN with user-auth's own command (idempotent).

    Runs `python -m user_auth.entrypoints.cli create-admin` from .ecomctl/venv with the
    service's environment; works before any admin exists, in both runtimes (the database
    is reached on its published port). The password is passed on stdin, not in argv.

    Examples:

      ecomctl users create-admin --username admin --password 'change-me-42'
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target()
    if port_offset is None:
        port_offset = RuntimeState.load(tgt.workspace.state_dir / "state.json").port_offset
    result = create_admin_user(
        workspace=tgt.workspace,
        stack=tgt.stack,
        username=username,
        password=password,
        email=email,
        port_offset=port_offset,
        progress=output.info,
    )
    if json_out:
        output.json(
            {
                "user_id": result.user_id,
                "username": result.username,
                "created": result.created,
                "database": result.database,
            }
        )
    elif result.created:
        output.success(f"created ADMIN {result.username} (id {result.user_id})")
    else:
        output.success(
            f"{result.username} is already an ADMIN (id {result.user_id}); nothing to do"
        )
