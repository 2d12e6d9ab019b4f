"""The outbox and inbox tables of migrations/<service>/V2__create_outbox*.sql (and the
`outbox_sequence` migration after it) as Core tables.

Declared (not reflected) so they work without a round trip; the types map to what the
migrations create: UUID/JSONB/TIMESTAMPTZ on PostgreSQL, CHAR(36)/JSON/TIMESTAMP(6) on MariaDB.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    CHAR,
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    FetchedValue,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine


class UuidString(TypeDecorator[str]):
    """A UUID kept as its 36-character text: native UUID on PostgreSQL, CHAR(36) elsewhere.

    (SQLAlchemy's own `Uuid` stores 32 hex digits without dashes on MySQL, which would not
    match the rows other tools write into CHAR(36).)
    """

    impl = CHAR(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=False))
        return dialect.type_descriptor(CHAR(36))

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(uuid.UUID(str(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)


JsonDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = MetaData()

outbox_table = Table(
    "outbox",
    metadata,
    Column("id", UuidString(), primary_key=True),
    Column("aggregate_type", String(100), nullable=False),
    Column("aggregate_id", String(100), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("message_key", String(255), nullable=False),
    Column("payload", JsonDocument, nullable=False),
    Column("headers", JsonDocument, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    # Drawn by the database at insert (identity / AUTO_INCREMENT): the relay's order.
    Column("seq", BigInteger, server_default=FetchedValue(), nullable=False),
)

inbox_table = Table(
    "inbox",
    metadata,
    Column("event_id", UuidString(), primary_key=True),
    Column("consumer", String(100), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False),
)
