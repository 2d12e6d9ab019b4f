"""`ecomctl keys`: the workspace's token signing keys (list, rotate)."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output
from ecomctl.keys import ACCESS_TOKEN_TTL_S, PUBLISH_LEAD_S, KeyInfo, list_keys, rotate_keys

app = typer.Typer(
    help="Manage the keys user-auth signs user tokens with (Ed25519, published as JWKS).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show(output: Output, title: str, keys: list[KeyInfo]) -> None:
    rows = [(k.kid, k.state, k.to_json()["created"], k.to_json()["retireAt"]) for k in keys]
    output.table(title, ["kid", "state", "created", "retire at"], rows)


@app.command("list")
def list_command(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """List the signing keys: active (signs), retiring (still verifies), retired.

    Examples:

      ecomctl keys list
      ecomctl keys list --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    keys = list_keys(workspace=cli.target().workspace)
    if json_out:
        output.json({"keys": [k.to_json() for k in keys]})
    else:
        _show(output, "signing keys", keys)


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    access_ttl: Annotated[
        int,
        typer.Option(
            "--access-ttl",
            help="Seconds the old key stays verifiable: the access-token lifetime.",
            min=1,
        ),
    ] = ACCESS_TOKEN_TTL_S,
    json_out: JsonDocument = False,
) -> None:
    """Add a new signing key; the old one verifies for the access-token lifetime, then retires.

    user-auth picks the new key up without a restart (it re-reads the key file), and the
    services fetch the new public key from the JWKS the first time they meet its kid. The
    new key is published 2 s before it signs, so no verifier meets it unknown.

    Examples:

      ecomctl keys rotate
      ecomctl keys rotate --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    keys = rotate_keys(workspace=cli.target().workspace, access_ttl_s=access_ttl)
    if json_out:
        output.json({"keys": [k.to_json() for k in keys]})
        return
    new = next(k for k in keys if k.state == "next")
    output.success(
        f"new signing key {new.kid}: published now, signing user tokens in "
        f"{PUBLISH_LEAD_S:g} s (verifiers learn it first)"
    )
    _show(output, "signing keys", keys)
