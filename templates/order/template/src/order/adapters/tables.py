"""SQLAlchemy Core descriptions of the tables db/migration/ creates (the migrations own
the schema; these only name the columns the code reads and writes)."""

from __future__ import annotations

from ecomkit.eventstore import StreamTable
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_number", String(50), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("total_amount", Numeric(10, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(50), nullable=False),
    Column("payment_id", String(255)),
    Column("payment_method_id", String(255)),
    Column("shipping_address", Text),
    Column("saga_state", String(50), nullable=False),
    Column("saga_deadline", DateTime(timezone=True)),
    Column("cancel_reason", Text),
    Column("trace_id", String(32)),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("orders.id"), nullable=False),
    Column("product_id", BigInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price", Numeric(10, 2), nullable=False),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("orders.id"), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("event_data", JSONB),
    Column("created_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
)

order_snapshots = Table(
    "order_snapshots",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("state", JSONB, nullable=False),
    Column("taken_at", DateTime(timezone=True)),
)

# Each order's order_events rows are its stream (V8__order_event_store.sql).
ORDER_STREAMS = StreamTable(
    order_events, order_snapshots, stream="order_id", data="event_data", recorded="created_at"
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("order_id", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True)),
)
