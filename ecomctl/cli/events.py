"""`ecomctl events`: the typed event contracts — compatibility check and AsyncAPI docs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.contracts.asyncapi import Format
from ecomctl.contracts.check import BreakingChanges, check_contracts, events_document

app = typer.Typer(
    help=(
        "Event contracts (ecomkit.contracts): check compatibility, publish AsyncAPI.\n\n"
        "Examples:\n\n"
        "  ecomctl events check                 # against the committed snapshot\n\n"
        "  ecomctl events check --update        # record a compatible change\n\n"
        "  ecomctl events docs -o asyncapi.yaml"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against", help="Snapshot to compare with (default: the kit's snapshot.json)."
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option("--update", help="Rewrite the snapshot; refused for a breaking change."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Refuse a contract change that breaks readers of the previous version.

    Breaking without a new schema_version: a removed event, topic or field, a retyped
    field, a new field without a default. Adding an optional field is fine. Exit 1 when
    something breaks.

    Examples:

      ecomctl events check

      ecomctl events check --against blue-snapshot.json --json
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    result = check_contracts(against=against, update=update)
    if json_out:
        output.json(result.to_json())
    else:
        for change in result.changes:
            output.info(f"compatible: {change.line()}")
        for problem in result.problems:
            output.error(problem.line())
        if result.updated:
            output.success(f"updated {result.snapshot}")
        elif not result.problems and result.stale:
            output.warning(f"{result.snapshot} is out of date: ecomctl events check --update")
        elif not result.problems:
            output.success(f"contracts match {result.snapshot}")
    if result.problems:
        verb = "not updated" if update else "refused"
        raise BreakingChanges(
            f"{len(result.problems)} breaking change(s) {verb}",
            hint="bump the contract's schema_version and declare an upcaster from the "
            "previous version, or undo the change",
        )


@app.command("docs")
def docs_cmd(
    ctx: typer.Context,
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="yaml or json.")] = "yaml",
) -> None:
    """An AsyncAPI 3.0 document: every topic, its events and payloads, who sends and receives.

    Examples:

      ecomctl events docs -o docs/asyncapi.yaml

      ecomctl events docs --format json | jq '.channels | keys'
    """
    output = Output(debug=state(ctx).debug)
    text = events_document(stack=state(ctx).target().stack, fmt=fmt)
    if output_file is None:
        output.document(text)
    else:
        output_file.write_text(text, encoding="utf-8")
        output.success(f"wrote {output_file}")
