"""`ecomctl trace`: one order's trace, read back from Zipkin and shown as a tree.

Core code (no typer, no rich): `tree` turns Zipkin's span list into a tree, `zipkin` reads
it over Zipkin's v2 API, `lookup` finds an order's trace id and waits for its spans.
"""
