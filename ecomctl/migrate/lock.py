"""The migration lock: one runner at a time per history table.

PostgreSQL uses a session advisory lock (``pg_advisory_lock``), MySQL and
MariaDB a named lock (``GET_LOCK``). Both belong to the connection, so a
runner that dies releases its lock with its connection. Runners that waited
re-read the history once they hold the lock, which is why five concurrent
``migrate`` runs apply each migration exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from ecomctl.errors import UserError
from ecomctl.migrate.dialects.base import Database, DatabaseError


@contextmanager
def migration_lock(db: Database, schema: str, table: str, *, timeout_s: float) -> Iterator[None]:
    try:
        db.lock(schema, table, timeout_s)
    except DatabaseError as error:
        raise UserError(
            f"could not take the migration lock on {schema}.{table}: {error}",
            hint="another migration is running on this database; "
            "wait for it or raise --lock-timeout",
        ) from None
    try:
        yield
    finally:
        with suppress(DatabaseError):  # the lock goes with the connection anyway
            db.unlock(schema, table)
