"""The ``flyway_schema_history`` table, exactly as Flyway creates and fills it.

Column names, types, the primary key and the ``<table>_s_idx`` index match
Flyway 12's own DDL for each dialect (checked with ``\\d`` and ``SHOW CREATE
TABLE`` on tables Flyway created). Row types used here: ``SQL`` (versioned
and repeatable), ``BASELINE``, ``UNDO_SQL`` (as Flyway Teams records an undo)
and ``DELETE`` (written by repair for a missing migration, as Flyway does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecomctl.migrate.dialects.base import Database

DEFAULT_TABLE = "flyway_schema_history"
BASELINE_DESCRIPTION = "<< Flyway Baseline >>"

TYPE_SQL = "SQL"
TYPE_BASELINE = "BASELINE"
TYPE_UNDO = "UNDO_SQL"
TYPE_DELETE = "DELETE"

_COLUMNS = (
    "installed_rank, version, description, type, script, checksum, "
    "installed_by, installed_on, execution_time, success"
)


@dataclass(frozen=True)
class HistoryRow:
    installed_rank: int
    version: str | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str
    installed_on: datetime | None
    execution_time: int
    success: bool


def create_statements(db: Database, schema: str, table: str) -> list[str]:
    t = f"{db.quote(schema)}.{db.quote(table)}"
    q = db.quote
    if db.name == "postgresql":
        return [
            f"CREATE TABLE {t} ({q('installed_rank')} INT NOT NULL, {q('version')} VARCHAR(50), "
            f"{q('description')} VARCHAR(200) NOT NULL, {q('type')} VARCHAR(20) NOT NULL, "
            f"{q('script')} VARCHAR(1000) NOT NULL, {q('checksum')} INTEGER, "
            f"{q('installed_by')} VARCHAR(100) NOT NULL, "
            f"{q('installed_on')} TIMESTAMP NOT NULL DEFAULT now(), "
            f"{q('execution_time')} INTEGER NOT NULL, {q('success')} BOOLEAN NOT NULL)",
            f"ALTER TABLE {t} ADD CONSTRAINT {q(table + '_pk')} "
            f"PRIMARY KEY ({q('installed_rank')})",
            f"CREATE INDEX {q(table + '_s_idx')} ON {t} ({q('success')})",
        ]
    return [
        f"CREATE TABLE {t} ({q('installed_rank')} INT NOT NULL, {q('version')} VARCHAR(50), "
        f"{q('description')} VARCHAR(200) NOT NULL, {q('type')} VARCHAR(20) NOT NULL, "
        f"{q('script')} VARCHAR(1000) NOT NULL, {q('checksum')} INT, "
        f"{q('installed_by')} VARCHAR(100) NOT NULL, "
        f"{q('installed_on')} TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
        f"{q('execution_time')} INT NOT NULL, {q('success')} BOOL NOT NULL, "
        f"CONSTRAINT {q(table + '_pk')} PRIMARY KEY ({q('installed_rank')})) ENGINE=InnoDB",
        f"CREATE INDEX {q(table + '_s_idx')} ON {t} ({q('success')})",
    ]


class History:
    """Reads and writes one schema's history table through a Database."""

    def __init__(self, db: Database, schema: str, table: str = DEFAULT_TABLE) -> None:
        self.db = db
        self.schema = schema
        self.table = table
        self.qualified = f"{db.quote(schema)}.{db.quote(table)}"

    def exists(self) -> bool:
        return self.db.table_exists(self.schema, self.table)

    def create(self) -> None:
        if self.db.transactional_ddl:
            with self.db.transaction():
                for statement in create_statements(self.db, self.schema, self.table):
                    self.db.execute(statement)
        else:
            for statement in create_statements(self.db, self.schema, self.table):
                self.db.execute(statement)

    def rows(self) -> list[HistoryRow]:
        if not self.exists():
            return []
        found = self.db.query(f"SELECT {_COLUMNS} FROM {self.qualified} ORDER BY installed_rank")
        return [_row(r) for r in found]

    def next_rank(self) -> int:
        return int(
            self.db.query(f"SELECT COALESCE(MAX(installed_rank), 0) + 1 FROM {self.qualified}")[0][
                0
            ]
        )

    def insert_sql(self) -> str:
        return (
            f"INSERT INTO {self.qualified} (installed_rank, version, description, type, script, "
            "checksum, installed_by, execution_time, success) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )

    def add(
        self,
        *,
        version: str | None,
        description: str,
        type: str,
        script: str,
        checksum: int | None,
        installed_by: str,
        execution_time: int,
        success: bool,
    ) -> int:
        rank = self.next_rank()
        self.db.execute(
            self.insert_sql(),
            [
                rank,
                version,
                description[:200],
                type,
                script[:1000],
                checksum,
                installed_by[:100],
                execution_time,
                success,
            ],
        )
        return rank

    def delete_failed(self) -> int:
        failed = self.db.query(
            f"SELECT COUNT(*) FROM {self.qualified} WHERE success = %s", [False]
        )[0][0]
        self.db.execute(f"DELETE FROM {self.qualified} WHERE success = %s", [False])
        return int(failed)

    def realign(self, rank: int, *, description: str, checksum: int | None) -> None:
        self.db.execute(
            f"UPDATE {self.qualified} SET description = %s, checksum = %s "
            "WHERE installed_rank = %s",
            [description, checksum, rank],
        )


def _row(r: tuple[Any, ...]) -> HistoryRow:
    return HistoryRow(
        installed_rank=int(r[0]),
        version=None if r[1] is None else str(r[1]),
        description=str(r[2]),
        type=str(r[3]),
        script=str(r[4]),
        checksum=None if r[5] is None else int(r[5]),
        installed_by=str(r[6]),
        installed_on=r[7],
        execution_time=int(r[8]),
        success=bool(r[9]),
    )
