"""`ecomctl search`: the product search index of the running stack."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.search import search_status

app = typer.Typer(
    help=(
        "Product search (OpenSearch, fed by product-search from Kafka).\n\n"
        "Examples:\n\n"
        "  ecomctl search status\n\n"
        "  ecomctl search status --json | jq .indexer_lag"
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
