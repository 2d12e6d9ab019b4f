"""SQLAlchemy Core descriptions of the tables db/migration/ creates (the migrations own the
schema; these only name the columns the code reads and writes)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, SmallInteger, Table

metadata = MetaData()

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("product_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, nullable=False),
)

paid_orders = Table(
    "paid_orders",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("paid_at", DateTime(timezone=True)),
)

reviews = Table(
    "reviews",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("product_id", BigInteger, primary_key=True),
    Column("rating", SmallInteger, nullable=False),
)

product_stock = Table(
    "product_stock",
    metadata,
    Column("product_id", BigInteger, primary_key=True),
    Column("available", Integer, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
)
