"""SQLAlchemy Core descriptions of the tables that db/migration/ creates.

The migrations own the schema; these only name the columns the code reads and writes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("username", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("password", String(255), nullable=False),
    Column("created_at", DateTime),
    Column("phone", String(20)),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("language", String(10), nullable=False),
    Column("email_notifications", Boolean, nullable=False),
    Column("sms_notifications", Boolean, nullable=False),
    Column("push_notifications", Boolean, nullable=False),
    Column("last_login", DateTime),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("role", String(50), primary_key=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False),
    Column("family_id", String(36), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("expiry_date", DateTime, nullable=False),
    Column("created_at", DateTime),
    Column("revoked_at", DateTime),
    Column("replaced_by", BigInteger),
)
