"""SQLAlchemy Core descriptions of the tables db/migration/ creates (the migrations own
the schema; these only name the columns the code reads and writes)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

inventory = Table(
    "inventory",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("product_id", BigInteger, nullable=False),
    Column("available_stock", Integer, nullable=False),
    Column("reserved_stock", Integer, nullable=False),
    Column("sold_stock", Integer, nullable=False),
    Column("last_updated", DateTime),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("reservation_id", String(255), nullable=False),
    Column("product_id", BigInteger, nullable=False),
    Column("order_id", BigInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(50), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("created_at", DateTime),
)

cancelled_orders = Table(
    "cancelled_orders",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("created_at", DateTime),
)
