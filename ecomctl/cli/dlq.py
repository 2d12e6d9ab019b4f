"""`ecomctl dlq`: dead-letter topics — what failed and why, and sending it back."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output
from ecomctl.dlq import list_dead_letters, replay
from ecomctl.scenarios.endpoints import for_workspace

app = typer.Typer(
    help=(
        "Dead-letter topics (<topic>.DLQ): list them, replay them.\n\n"
        "Examples:\n\n"
        "  ecomctl dlq list\n\n"
        "  ecomctl dlq replay payment-failed-events.DLQ\n\n"
        "  ecomctl dlq replay order-created-events --id 0190c2...-..."
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _bootstrap(ctx: typer.Context) -> str:
    tgt = state(ctx).target()
    return for_workspace(tgt.stack, tgt.workspace).kafka


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    all_topics: Annotated[
        bool, typer.Option("--all", help="Also list dead-letter topics that are empty.")
    ] = False,
    json_out: JsonDocument = False,
) -> None:
    """Every dead-letter topic with its messages: event, error, attempts, original topic.

    Examples:

      ecomctl dlq list --json
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    found = list_dead_letters(bootstrap=_bootstrap(ctx), include_empty=all_topics)
    if json_out:
        output.json({"topics": [t.to_json() for t in found]})
        return
    if not found:
        output.success("no dead letters")
        return
    for topic in found:
        rows = [
            (
                f"{m.partition}@{m.offset}",
                m.time[:19],
                m.event_type,
                m.event_id,
                m.key,
                m.attempts,
                m.error,
            )
            for m in topic.messages
        ]
        output.table(
            f"{topic.name}: {topic.count} message(s), from {topic.original_topic}",
            ["at", "time", "type", "event id", "key", "attempts", "error"],
            rows,
        )


@app.command("replay")
def replay_cmd(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="The DLQ topic (the .DLQ suffix may be left out).")],
    ids: Annotated[
        list[str] | None,
        typer.Option("--id", help="Only this event id (repeat for several). Default: all."),
    ] = None,
    json_out: JsonDocument = False,
) -> None:
    """Publish dead letters back onto their original topic (consumers are idempotent).

    Examples:

      ecomctl dlq replay inventory-reserved-events.DLQ --id 0190c2f1-...
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    result = replay(bootstrap=_bootstrap(ctx), topic=topic, ids=ids or None)
    if json_out:
        output.json(result.to_json())
    else:
        for original, sent in result.replayed.items():
            output.success(f"replayed {len(sent)} message(s) from {result.topic} to {original}")
        if not result.count:
            output.info(f"nothing to replay in {result.topic}")
        for missing in result.missing:
            output.warning(f"event {missing} is not in {result.topic}")
    if result.missing:
        raise typer.Exit(1)
