"""`ecomctl trace`: one order's trace from Zipkin, as a tree in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text
from rich.tree import Tree

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.traces.lookup import FoundTrace, read_trace
from ecomctl.traces.tree import SpanNode, TraceTree

KIND_MARK = {"SERVER": "server", "CLIENT": "client", "PRODUCER": "producer", "CONSUMER": "consumer"}


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)


def trace(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="An order id (its recorded trace) or a trace id (hex).")
    ],
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="Seconds to wait for the spans to reach Zipkin (they are sent in batches).",
        ),
    ] = 15.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show a trace as a tree: service, operation, start offset, duration; errors in red.

    An order id is enough: the order service records the trace each order was placed in.

    Examples:

      ecomctl trace 42

      ecomctl trace 4bf92f3577b34da6a3ce929d0e0e4736

      ecomctl trace 42 --json | jq '.services'

    Exit codes: 0 shown; 1 no such order, Zipkin not running, or the trace not found in
    time; 2 the argument is neither an order id nor a trace id.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    found = read_trace(tgt=state(ctx).target(), ref=ref, wait_s=wait)
    if json_out:
        output.json(found.to_json())
        return
    output.show(render(found))
    if found.tree.orphans:
        output.warning(
            f"{len(found.tree.orphans)} span(s) name a parent that is not in the trace "
            "(a service that does not export, or spans still on their way)"
        )


def render(found: FoundTrace) -> Tree:
    tree = found.tree
    head = Text.assemble(
        ("trace ", "bold"),
        (tree.trace_id, "bold cyan"),
        f"  {len(tree.spans)} spans, {len(tree.services)} services, "
        f"{tree.duration_us / 1000:.1f} ms",
    )
    if found.order_id is not None:
        head.append(f"  order {found.order_id}")
    errors = len(tree.errors)
    if errors:
        head.append(f"  {errors} error span(s)", "bold red")
    else:
        head.append("  no errors", "green")
    head.append(f"\n{found.zipkin_url}", "dim")
    root = Tree(head, guide_style="dim")
    for span in tree.roots:
        _add(root, tree, span)
    return root


def _add(parent: Tree, tree: TraceTree, span: SpanNode) -> None:
    branch = parent.add(_label(tree, span))
    for child in span.children:
        _add(branch, tree, child)


def _label(tree: TraceTree, span: SpanNode) -> Text:
    label = Text.assemble(
        (span.service, "bold red" if span.error else "bold"),
        " ",
        (f"{KIND_MARK.get(span.kind, span.kind.lower() or 'internal')} ", "dim"),
        (span.name, "red" if span.error else ""),
        (f"  +{tree.offset_ms(span):.1f} ms", "dim"),
        f"  {span.duration_us / 1000:.1f} ms",
    )
    if span.error:
        label.append(f"  error: {span.error}", "bold red")
    if span.parent_id is not None and span in tree.roots:
        label.append(f"  (parent {span.parent_id} missing)", "yellow")
    return label
