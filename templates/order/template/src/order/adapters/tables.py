"""The tables this service's code reads and writes, and its event store over them.

The tables are declared in schema.py, which ecomctl renders from db/migration when it
generates or updates the service (`ecomctl generate tables` after adding a migration): the
migrations own the schema, and nothing restates it by hand. The stream is the service's own.
"""

from __future__ import annotations

from ecomkit.eventstore import StreamTable

from order.adapters.schema import (
    idempotency_keys,
    order_events,
    order_items,
    order_snapshots,
    orders,
)

__all__ = ["ORDER_STREAMS", "idempotency_keys", "order_events", "order_items", "orders"]

# Each order's order_events rows are its stream (V8__order_event_store.sql).
ORDER_STREAMS = StreamTable(
    order_events, order_snapshots, stream="order_id", data="event_data", recorded="created_at"
)
