"""What the engine needs from a database, whatever its dialect.

Each dialect wraps one driver connection (psycopg 3 or PyMySQL) in
autocommit mode; the engine opens transactions explicitly so it controls
what a failure leaves behind.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ecomctl.migrate.splitter import Statement
from ecomctl.migrate.url import DatabaseUrl


class DatabaseError(Exception):
    """A driver error, reduced to the database's own message."""


class Database(abc.ABC):
    name: str
    # PostgreSQL rolls DDL back with the transaction; MySQL commits it at once.
    transactional_ddl: bool

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url

    # ---- session ------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement; raises DatabaseError with the server's message."""

    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    @abc.abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]: ...

    # ---- facts --------------------------------------------------------------------------
    @abc.abstractmethod
    def current_user(self) -> str: ...

    @abc.abstractmethod
    def default_schema(self) -> str: ...

    @abc.abstractmethod
    def database_name(self) -> str: ...

    @abc.abstractmethod
    def server_version(self) -> str: ...

    @abc.abstractmethod
    def quote(self, identifier: str) -> str: ...

    @abc.abstractmethod
    def table_exists(self, schema: str, table: str) -> bool: ...

    @abc.abstractmethod
    def schema_objects(self, schema: str) -> list[str]:
        """Names of the tables, views and routines in a schema (for 'is it empty')."""

    @abc.abstractmethod
    def ensure_schema(self, schema: str) -> None: ...

    # ---- scripts, locks, clean -----------------------------------------------------------
    @abc.abstractmethod
    def split(self, script: str) -> list[Statement]: ...

    def needs_autocommit(self, statements: Sequence[Statement]) -> bool:
        """Statements that cannot run inside a transaction (e.g. CREATE INDEX CONCURRENTLY)."""
        return False

    @abc.abstractmethod
    def lock(self, schema: str, table: str, timeout_s: float) -> None:
        """Take the migration lock for this history table, waiting up to timeout_s."""

    @abc.abstractmethod
    def unlock(self, schema: str, table: str) -> None: ...

    @abc.abstractmethod
    def clean_statements(self, schema: str) -> list[str]:
        """DROP statements that empty the schema (objects of extensions excluded)."""
