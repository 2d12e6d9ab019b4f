"""The commands: info, migrate, validate, repair, baseline, undo, clean.

Each opens one connection, takes the migration lock where it writes, reads
the history, compares it with the scripts on disk (`state.build_plan`) and
acts. Every function is keyword-only and returns a result dataclass; the CLI
only renders it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ecomctl.errors import UserError
from ecomctl.migrate.dialects import Database, DatabaseError, connect
from ecomctl.migrate.executor import Recording, run_script
from ecomctl.migrate.history import TYPE_BASELINE, TYPE_SQL, TYPE_UNDO, History
from ecomctl.migrate.lock import migration_lock
from ecomctl.migrate.placeholders import Placeholders, flyway_defaults
from ecomctl.migrate.resolver import Resolved, ResolvedScript, scan
from ecomctl.migrate.results import (
    AppliedMigration,
    BaselineResult,
    CleanResult,
    InfoResult,
    MigrateResult,
    UndoResult,
    ValidateResult,
)
from ecomctl.migrate.settings import CLEAN_ENV, MigrateSettings
from ecomctl.migrate.splitter import Statement
from ecomctl.migrate.state import Plan, build_plan
from ecomctl.migrate.version import MigrationVersion


class ValidationFailed(UserError):
    """validate (or migrate's validation step) found problems; each is listed."""

    def __init__(self, result: ValidateResult) -> None:
        listed = "; ".join(result.problems)
        super().__init__(
            f"validate failed with {len(result.problems)} problem(s): {listed}",
            hint="run 'ecomctl migrate info' to see every migration's state",
        )
        self.result = result


@dataclass
class Session:
    db: Database
    settings: MigrateSettings
    schema: str
    history: History
    resolved: Resolved
    placeholders: Placeholders
    installed_by: str

    def statements(self, script: ResolvedScript) -> list[Statement]:
        return self.db.split(self.replaced(script))

    def replaced(self, script: ResolvedScript) -> str:
        return self.placeholders.replace(
            script.text, filename=script.script, script=str(script.path)
        )

    def plan(self, *, target: MigrationVersion | None = None) -> Plan:
        rows = self.history.rows()
        checksums = {s.description: self._repeatable_checksum(s) for s in self.resolved.repeatable}
        return build_plan(
            self.resolved,
            rows,
            target=target,
            out_of_order=self.settings.out_of_order,
            repeatable_checksums=checksums,
            ignore=frozenset(self.settings.ignore_migration_patterns),
        )

    def _repeatable_checksum(self, script: ResolvedScript) -> int:
        """Flyway checksums a repeatable after placeholder replacement, so new values re-run it."""
        from ecomctl.migrate.checksum import checksum_text

        if not self.settings.placeholder_replacement:
            return script.checksum
        return checksum_text(self.replaced(script))

    def recording(
        self, script: ResolvedScript, *, type: str = TYPE_SQL, checksum: int | None = None
    ) -> Recording:
        return Recording(
            version=None if script.version is None else str(script.version),
            description=script.description,
            type=type,
            script=script.script,
            checksum=script.checksum if checksum is None else checksum,
            installed_by=self.installed_by,
        )


@contextmanager
def session(settings: MigrateSettings) -> Iterator[Session]:
    resolved = scan(list(settings.locations), encoding=settings.encoding)
    try:
        db = connect(settings.url)
    except DatabaseError as error:
        raise UserError(f"cannot connect to {settings.url.redacted()}: {error}") from None
    try:
        schema = settings.schema or db.default_schema()
        if settings.schema and db.name == "postgresql":
            db.ensure_schema(schema)
        user = db.current_user()
        defaults = flyway_defaults(
            schema=schema, user=user, database=db.database_name(), table=settings.table
        )
        placeholders = Placeholders(
            values={**defaults, **settings.placeholders},
            prefix=settings.placeholder_prefix,
            suffix=settings.placeholder_suffix,
            enabled=settings.placeholder_replacement,
        )
        yield Session(
            db,
            settings,
            schema,
            History(db, schema, settings.table),
            resolved,
            placeholders,
            settings.installed_by or user,
        )
    except DatabaseError as error:
        raise UserError(f"{settings.url.redacted()}: {error}") from None
    finally:
        db.close()


def parse_target(text: str | None, current: MigrationVersion | None) -> MigrationVersion | None:
    if text is None or text.lower() == "latest":
        return None
    if text.lower() == "current":
        return current
    return MigrationVersion.parse(text)


def info(*, settings: MigrateSettings) -> InfoResult:
    with session(settings) as s:
        first = s.plan()
        plan = s.plan(target=parse_target(settings.target, first.current))
        return InfoResult(
            database=settings.url.redacted(),
            schema=s.schema,
            table=settings.table,
            current_version=None if plan.current is None else str(plan.current),
            migrations=plan.infos,
        )


def validate(*, settings: MigrateSettings) -> ValidateResult:
    with session(settings) as s:
        plan = s.plan()
        plan = s.plan(target=parse_target(settings.target, plan.current))
        result = ValidateResult(
            database=settings.url.redacted(),
            schema=s.schema,
            validated=len(s.resolved.versioned) + len(s.resolved.repeatable),
            problems=plan.problems + plan.pending_problems,
        )
    if result.problems:
        raise ValidationFailed(result)
    return result


@dataclass(frozen=True)
class PendingScript:
    script: ResolvedScript
    sql: str  # the text that would run: placeholders replaced


def pending(*, settings: MigrateSettings) -> list[PendingScript]:
    """The versioned scripts `migrate` would apply now, in order (nothing is changed)."""
    with session(settings) as s:
        plan = s.plan()
        plan = s.plan(target=parse_target(settings.target, plan.current))
        return [PendingScript(script, s.replaced(script)) for script in plan.pending]


def migrate(
    *,
    settings: MigrateSettings,
    dry_run: bool = False,
    stop_before: MigrationVersion | None = None,
    repeatables: bool = True,
) -> MigrateResult:
    """Apply what is pending. `stop_before` leaves that version and every later one pending;
    `repeatables=False` leaves the R scripts for a later run (see `phases`)."""
    scope = _Scope(stop_before, repeatables)
    with session(settings) as s:
        if dry_run:
            return _migrate_locked(s, dry_run=True, scope=scope)
        with migration_lock(s.db, s.schema, settings.table, timeout_s=settings.lock_timeout_s):
            return _migrate_locked(s, dry_run=False, scope=scope)


@dataclass(frozen=True)
class _Scope:
    stop_before: MigrationVersion | None = None
    repeatables: bool = True

    def chosen(self, plan: Plan) -> list[ResolvedScript]:
        versioned = [
            script
            for script in plan.pending
            if self.stop_before is None
            or (script.version is not None and script.version < self.stop_before)
        ]
        return [*versioned, *(plan.repeatable if self.repeatables else [])]


def _migrate_locked(s: Session, *, dry_run: bool, scope: _Scope) -> MigrateResult:
    settings = s.settings
    baselined = False
    sql: list[str] = []
    if not s.history.exists():
        others = [o for o in s.db.schema_objects(s.schema) if o != settings.table]
        if others and not settings.baseline_on_migrate:
            raise UserError(
                f"found non-empty schema {s.schema!r} ({len(others)} object(s)) "
                "but no schema history table",
                hint="run 'ecomctl migrate baseline' or pass --baseline-on-migrate",
            )
        if not dry_run:
            s.history.create()
            if others:
                _insert_baseline(s)
                baselined = True
    plan = s.plan()
    initial = plan.current
    target = parse_target(settings.target, plan.current)
    plan = s.plan(target=target)
    if settings.validate_on_migrate and plan.problems:
        raise ValidationFailed(
            ValidateResult(settings.url.redacted(), s.schema, len(plan.infos), plan.problems)
        )
    applied: list[AppliedMigration] = []
    for script in scope.chosen(plan):
        statements = s.statements(script)
        checksum = s._repeatable_checksum(script) if script.version is None else script.checksum
        record = s.recording(script, checksum=checksum)
        if dry_run:
            sql.append(f"-- {script.script}")
            sql.extend(f"{st.sql};" for st in statements)
            continue
        elapsed = run_script(s.db, s.history, statements, record)
        applied.append(
            AppliedMigration(
                record.version,
                record.description,
                record.script,
                TYPE_SQL,
                elapsed,
                len(statements),
                out_of_order=script.version in plan.out_of_order,
            )
        )
    final = s.plan().current if applied else initial
    return MigrateResult(
        database=settings.url.redacted(),
        schema=s.schema,
        initial_version=None if initial is None else str(initial),
        target_version=None if final is None else str(final),
        applied=applied,
        baselined=baselined,
        dry_run=dry_run,
        sql=sql,
        warnings=[f"skipped {p.name}: not a migration file name" for p in s.resolved.skipped],
    )


def _insert_baseline(s: Session) -> None:
    version = MigrationVersion.parse(s.settings.baseline_version)
    s.history.add(
        version=str(version),
        description=s.settings.baseline_description,
        type=TYPE_BASELINE,
        script=s.settings.baseline_description,
        checksum=None,
        installed_by=s.installed_by,
        execution_time=0,
        success=True,
    )


def baseline(*, settings: MigrateSettings) -> BaselineResult:
    with (
        session(settings) as s,
        migration_lock(s.db, s.schema, settings.table, timeout_s=settings.lock_timeout_s),
    ):
        if not s.history.exists():
            s.history.create()
        rows = s.history.rows()
        version = MigrationVersion.parse(settings.baseline_version)
        existing = [r for r in rows if r.type == TYPE_BASELINE]
        if existing and MigrationVersion.parse(existing[0].version or "0") == version:
            pass  # already baselined at this version: nothing to do, as Flyway
        elif rows:
            raise UserError(
                f"cannot baseline {s.schema}.{settings.table}: "
                f"it already records {len(rows)} migration(s)",
                hint="baseline is for an existing database without a history table",
            )
        else:
            _insert_baseline(s)
        return BaselineResult(
            settings.url.redacted(), s.schema, str(version), settings.baseline_description
        )


def undo(*, settings: MigrateSettings, dry_run: bool = False) -> UndoResult:
    """Undo the latest applied versioned migration, or every one above --target."""
    with session(settings) as s:
        if dry_run:
            return _undo_locked(s, dry_run=True)
        with migration_lock(s.db, s.schema, settings.table, timeout_s=settings.lock_timeout_s):
            return _undo_locked(s, dry_run=False)


def _undo_locked(s: Session, *, dry_run: bool) -> UndoResult:
    plan = s.plan()
    live = sorted(
        (
            v
            for v, a in plan.applied.items()
            if a.effective and a.row.success and a.row.type == TYPE_SQL
        ),
        key=lambda v: plan.applied[v].row.installed_rank,
        reverse=True,
    )
    if not live:
        raise UserError("nothing to undo: no versioned migration is applied")
    target = parse_target(s.settings.target, plan.current) if s.settings.target else None
    chosen = [v for v in live if v > target] if target is not None else live[:1]
    missing = [str(v) for v in chosen if v not in s.resolved.undo]
    if missing:  # checked up front so a partial undo never happens
        raise UserError(
            f"cannot undo version(s) {', '.join(missing)}: no undo script U<version>__*.sql "
            "in the locations",
            hint="write the undo script, or restore from a backup",
        )
    undone: list[AppliedMigration] = []
    sql: list[str] = []
    for version in chosen:
        script = s.resolved.undo[version]
        statements = s.statements(script)
        if dry_run:
            sql.append(f"-- {script.script}")
            sql.extend(f"{st.sql};" for st in statements)
            continue
        elapsed = run_script(s.db, s.history, statements, s.recording(script, type=TYPE_UNDO))
        undone.append(
            AppliedMigration(
                str(version), script.description, script.script, TYPE_UNDO, elapsed, len(statements)
            )
        )
    return UndoResult(s.settings.url.redacted(), s.schema, undone, dry_run, sql)


def clean(*, settings: MigrateSettings) -> CleanResult:
    if not settings.clean_enabled:
        raise UserError(
            "clean is disabled: it drops every object in the schema",
            hint=f"pass --clean-enabled or set {CLEAN_ENV}=true (Flyway: cleanDisabled=false)",
        )
    with (
        session(settings) as s,
        migration_lock(s.db, s.schema, settings.table, timeout_s=settings.lock_timeout_s),
    ):
        drops = s.db.clean_statements(s.schema)
        for statement in drops:
            s.db.execute(statement)
        return CleanResult(
            settings.url.redacted(), s.schema, [d for d in drops if d.startswith("DROP")]
        )
