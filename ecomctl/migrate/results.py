"""What each command returns: plain dataclasses the CLI renders as a table or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class _Result:
    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[call-overload,no-any-return]


@dataclass(frozen=True)
class MigrationInfo(_Result):
    category: str  # Versioned | Repeatable | Baseline | Undo | Delete
    version: str | None
    description: str
    type: str
    script: str
    state: str  # Flyway's state names: Pending, Success, Failed, Missing, Ignored, ...
    installed_rank: int | None = None
    installed_on: datetime | None = None
    installed_by: str | None = None
    execution_time: int | None = None
    checksum: int | None = None
    undoable: bool = False


@dataclass(frozen=True)
class InfoResult(_Result):
    database: str
    schema: str
    table: str
    current_version: str | None
    migrations: list[MigrationInfo]


@dataclass(frozen=True)
class AppliedMigration(_Result):
    version: str | None
    description: str
    script: str
    type: str
    execution_time: int
    statements: int
    out_of_order: bool = False


@dataclass(frozen=True)
class MigrateResult(_Result):
    database: str
    schema: str
    initial_version: str | None
    target_version: str | None
    applied: list[AppliedMigration]
    baselined: bool = False
    dry_run: bool = False
    sql: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    phase: str = "all"  # expand | contract | all (see ecomctl.migrate.phases)
    held_back: list[str] = field(default_factory=list)  # scripts the phase left pending


@dataclass(frozen=True)
class ValidateResult(_Result):
    database: str
    schema: str
    validated: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RepairResult(_Result):
    database: str
    schema: str
    removed_failed: int
    realigned: list[str]
    marked_deleted: list[str]


@dataclass(frozen=True)
class BaselineResult(_Result):
    database: str
    schema: str
    version: str
    description: str


@dataclass(frozen=True)
class UndoResult(_Result):
    database: str
    schema: str
    undone: list[AppliedMigration]
    dry_run: bool = False
    sql: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CleanResult(_Result):
    database: str
    schema: str
    dropped: list[str]


@dataclass(frozen=True)
class ServiceOutcome(_Result):
    """One service's line in bare `migrate` / `migrate info` (every service of a workspace)."""

    service: str
    database: str
    status: str  # "2 applied", "up to date", "1 pending", "failed", "not attempted", ...
    current_version: str | None = None
    applied: list[str] = field(default_factory=list)  # migrate: versions applied by this run
    applied_total: int | None = None  # info: migrations applied so far
    pending: int | None = None  # info: pending; migrate: held back for the contract phase
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)  # migrate --dry-run: what would run


@dataclass(frozen=True)
class ServicesResult(_Result):
    command: str  # migrate | info
    phase: str
    ok: bool
    services: list[ServiceOutcome]
