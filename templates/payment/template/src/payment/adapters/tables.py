"""SQLAlchemy Core descriptions of the tables db/migration/ creates (the migrations own the
schema; these only name the columns the code reads and writes)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Numeric, String, Table, Text

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("payment_id", String(255), nullable=False),
    Column("order_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(50), nullable=False),
    Column("payment_method", String(50)),
    Column("stripe_payment_intent_id", String(255)),
    Column("error_message", Text),
    Column("decline_code", String(100)),
    Column("provider", String(50)),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("payment_id", BigInteger, nullable=False),
    Column("transaction_type", String(50), nullable=False),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("transaction_id", String(255)),
    Column("status", String(50), nullable=False),
    Column("created_at", DateTime(timezone=True)),
)

order_cancellations = Table(
    "order_cancellations",
    metadata,
    Column("order_id", BigInteger, primary_key=True),
    Column("reason", Text),
    Column("cancelled_at", DateTime(timezone=True)),
)
