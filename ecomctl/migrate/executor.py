"""Running one script and recording it, with Flyway's failure semantics.

PostgreSQL: the statements and the history row share one transaction, so a
failure leaves neither. MySQL/MariaDB commit DDL as they go, so a failure is
recorded as a ``success = false`` row (as Flyway records it) and ``repair``
removes it once the half-applied changes are cleaned up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ecomctl.errors import UserError
from ecomctl.migrate.dialects.base import Database, DatabaseError
from ecomctl.migrate.history import History
from ecomctl.migrate.splitter import Statement


class MigrationFailed(UserError):
    """A script failed; the message names the file, the statement and the database's words."""

    def __init__(
        self, script: str, statement: Statement | None, message: str, *, recorded: bool
    ) -> None:
        where = f" line {statement.line}" if statement else ""
        shown = _shorten(statement.sql) if statement else ""
        text = f"migration {script} failed at{where}: {message}"
        if shown:
            text += f" -- statement: {shown}"
        hint = (
            "the failure is recorded in the history table: undo its partial changes, then run "
            "'ecomctl migrate repair'"
            if recorded
            else "nothing was applied or recorded (the transaction was rolled back); "
            "fix the script and run again"
        )
        super().__init__(text, hint=hint)
        self.script = script
        self.statement = statement
        self.db_message = message
        self.recorded = recorded


@dataclass(frozen=True)
class Recording:
    """The history row a script writes once it has run."""

    version: str | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str


def _shorten(sql: str, limit: int = 200) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def run_script(
    db: Database, history: History, statements: list[Statement], record: Recording
) -> int:
    """Run the statements and write the history row; returns the execution time in ms."""
    started = time.monotonic()
    current: Statement | None = None
    transactional = db.transactional_ddl and not db.needs_autocommit(statements)
    try:
        if db.transactional_ddl and not transactional:  # e.g. CREATE INDEX CONCURRENTLY
            for current in statements:
                db.execute(current.sql)
            elapsed = _ms(started)
            _add(history, record, elapsed, success=True)
            return elapsed
        with db.transaction():  # MySQL: DML rolls back, DDL is already committed
            for current in statements:
                db.execute(current.sql)
            current = None
            elapsed = _ms(started)
            _add(history, record, elapsed, success=True)
        return elapsed
    except DatabaseError as error:
        if not transactional:
            _add(history, record, _ms(started), success=False)
        raise MigrationFailed(
            record.script, current, str(error), recorded=not transactional
        ) from None


def _add(history: History, record: Recording, elapsed: int, *, success: bool) -> None:
    history.add(
        version=record.version,
        description=record.description,
        type=record.type,
        script=record.script,
        checksum=record.checksum,
        installed_by=record.installed_by,
        execution_time=elapsed,
        success=success,
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
