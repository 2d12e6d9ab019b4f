"""Database dialects: one class per server family, chosen from the URL."""

from __future__ import annotations

from ecomctl.migrate.dialects.base import Database, DatabaseError
from ecomctl.migrate.url import DatabaseUrl


def connect(url: DatabaseUrl) -> Database:
    if url.dialect == "postgresql":
        from ecomctl.migrate.dialects.postgres import PostgresDatabase

        return PostgresDatabase(url)
    from ecomctl.migrate.dialects.mysql import MySQLDatabase

    return MySQLDatabase(url)


__all__ = ["Database", "DatabaseError", "connect"]
