"""``repair``: make the history table match the scripts again, as Flyway's repair does.

It removes failed rows (after a MySQL failure, once its partial changes are
undone by hand), realigns checksums and descriptions of applied migrations
with the files (after an intended edit), and marks applied versions whose
file is gone as deleted (a ``DELETE`` row) so validate stops reporting them.
"""

from __future__ import annotations

from ecomctl.migrate.engine import session
from ecomctl.migrate.history import TYPE_DELETE, TYPE_SQL
from ecomctl.migrate.lock import migration_lock
from ecomctl.migrate.results import RepairResult
from ecomctl.migrate.settings import MigrateSettings


def repair(*, settings: MigrateSettings) -> RepairResult:
    with (
        session(settings) as s,
        migration_lock(s.db, s.schema, settings.table, timeout_s=settings.lock_timeout_s),
    ):
        if not s.history.exists():
            return RepairResult(settings.url.redacted(), s.schema, 0, [], [])
        removed = s.history.delete_failed()
        plan = s.plan()
        by_version = {x.version: x for x in s.resolved.versioned}
        highest = max((v for v in by_version if v is not None), default=None)
        realigned: list[str] = []
        deleted: list[str] = []
        for version, applied in sorted(plan.applied.items()):
            row = applied.row
            if not applied.effective or row.type != TYPE_SQL:
                continue
            script = by_version.get(version)
            if script is None:
                if highest is not None and version < highest:
                    s.history.add(
                        version=row.version,
                        description=row.description,
                        type=TYPE_DELETE,
                        script=row.script,
                        checksum=row.checksum,
                        installed_by=s.installed_by,
                        execution_time=0,
                        success=True,
                    )
                    deleted.append(str(version))
                continue
            if row.checksum != script.checksum or row.description != script.description:
                s.history.realign(
                    row.installed_rank, description=script.description, checksum=script.checksum
                )
                realigned.append(str(version))
        return RepairResult(settings.url.redacted(), s.schema, removed, realigned, deleted)
