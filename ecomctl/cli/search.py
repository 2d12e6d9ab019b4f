"""`ecomctl search`: the product search index of the running stack."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.search import search_status
from ecomctl.search.commands import reindex as run_reindex
from ecomctl.search.commands import top as read_top

app = typer.Typer(
    help=(
        "Product search (OpenSearch, fed by product-search from Kafka).\n\n"
        "Examples:\n\n"
        "  ecomctl search status\n\n"
        "  ecomctl search status --json | jq .indexer_lag\n\n"
        "  ecomctl search reindex\n\n"
        "  ecomctl search top --limit 20"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("status")
def status(
    ctx: typer.Context,
    alias: Annotated[str, typer.Option("--alias", help="The alias searches go through.")] = (
        "products"
    ),
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """The index behind the alias, searchable documents vs the catalog's active products,
    and the indexer's lag in Kafka.

    Examples:

      ecomctl search status

      ecomctl search status --json

    Exit codes: 0 shown; 1 OpenSearch, the catalog or Kafka not answering, or no index yet.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    found = search_status(tgt=state(ctx).target(), alias=alias)
    if json_out:
        output.json(found.to_json())
        return
    catalog = "unknown" if found.catalog_products is None else str(found.catalog_products)
    lag = "unknown (nothing consumed yet)" if found.indexer_lag is None else str(found.indexer_lag)
    output.table(
        "product search",
        ["what", "value"],
        [
            ["OpenSearch", found.opensearch],
            ["alias", f"{found.alias} -> {', '.join(found.indices)}"],
            ["searchable products", str(found.documents)],
            ["catalog products", catalog],
            ["indexer lag (records)", lag],
        ],
    )


@app.command("reindex")
def reindex(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Build a new index from the catalog's database with the newest definition file
    (index/products-v<N>.json), catch up on the events written meanwhile, and swap the
    alias to it in one request. Searches keep answering throughout, from the old index
    until the swap; no write made during the reindex is lost. The previous index is kept.

    Examples:

      ecomctl search reindex

      ecomctl search reindex --json | jq .index

    Exit codes: 0 swapped; 1 failed (the line says whether the alias moved) or OpenSearch,
    Kafka or the catalog's database not answering; 2 no product-search or catalog in the stack.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    report = run_reindex(tgt=state(ctx).target(), progress=output.info)
    if json_out:
        output.json(report)
        return
    output.table(
        "reindex",
        ["what", "value"],
        [
            ["alias", f"{report['alias']} -> {report['index']}"],
            ["previous (kept)", ", ".join(report["previous"]) or "-"],
            ["definition", f"v{report['definition']}"],
            ["from the catalog (products, reviews)", str(report["from_catalog"])],
            ["stock parts copied", str(report["stock_copied"])],
            ["events caught up (before / after the swap)",
             f"{report['caught_up']} / {report['after_swap']}"],
            ["seconds", f"{report['seconds']:.1f}"],
        ],
    )  # fmt: skip


@app.command("top")
def top(
    ctx: typer.Context,
    hours: Annotated[
        int, typer.Option("--hours", min=1, max=24, help="How many recent hours (1-24).")
    ] = 24,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100, help="Queries per list (1-100).")
    ] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """The most frequent queries and those that found nothing, over the last day.

    product-search counts each search (its first page, text normalized) per hour in Redis;
    an hour keeps at most 2,000 distinct queries (the rarest go) and expires after 25 h.

    Examples:

      ecomctl search top

      ecomctl search top --hours 1 --limit 20 --json | jq '.zero_results[].query'

    Exit codes: 0 shown; 1 Redis not answering; 2 no product-search or Redis in the stack.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    found = read_top(tgt=state(ctx).target(), hours=hours, limit=limit)
    if json_out:
        output.json(found)
        return
    output.info(f"{found['searches']} searches in the last {found['hours']} h")
    for title, key in (("most frequent", "frequent"), ("zero results", "zero_results")):
        rows = [[str(entry["count"]), entry["query"]] for entry in found[key]]
        output.table(title, ["searches", "query"], rows or [["0", "-"]])
