"""Flyway's script naming: ``V<ver>__<desc>.sql``, ``U<ver>__<desc>.sql``, ``R__<desc>.sql``.

Files that do not follow the convention are skipped, as Flyway skips them
(its ``validateMigrationNaming`` is off by default); `scan` reports them so
the CLI can warn.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ecomctl.errors import UsageError
from ecomctl.migrate.version import MigrationVersion

SEPARATOR = "__"
SUFFIX = ".sql"


class ScriptKind(enum.Enum):
    VERSIONED = "V"
    UNDO = "U"
    REPEATABLE = "R"


@dataclass(frozen=True)
class ScriptName:
    filename: str
    kind: ScriptKind
    version: MigrationVersion | None
    description: str


def description_from(raw: str) -> str:
    """Flyway shows ``add_user_index`` as ``add user index``."""
    return raw.replace("_", " ")


def parse_name(filename: str) -> ScriptName | None:
    """The parts of a migration file name, or None when it is not a migration."""
    if not filename.endswith(SUFFIX) or len(filename) < 2:
        return None
    try:
        kind = ScriptKind(filename[0])
    except ValueError:
        return None
    stem = filename[1 : -len(SUFFIX)]
    head, sep, desc = stem.partition(SEPARATOR)
    if not sep:
        return None
    if kind is ScriptKind.REPEATABLE:
        if head:
            return None
        return ScriptName(filename, kind, None, description_from(desc))
    if not head:
        return None
    try:
        version = MigrationVersion.parse(head)
    except UsageError:  # a malformed version: not a migration, as Flyway sees it
        return None
    return ScriptName(filename, kind, version, description_from(desc))
