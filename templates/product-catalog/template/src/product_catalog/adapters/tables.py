"""SQLAlchemy Core descriptions of the tables db/migration/ creates (the migrations own
the schema; these only name the columns the code reads and writes)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("sku", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("category", String(100)),
    Column("brand", String(100)),
    Column("price", Numeric(10, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("image_url", String(1024)),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime),
    Column("updated_at", DateTime),
    Column("version", BigInteger, nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("product_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("comment", Text),
    Column("created_at", DateTime),
    Column("stored_at", DateTime),
)
