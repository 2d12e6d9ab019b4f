"""Merging the scripts on disk with the history table, as Flyway's ``info`` does.

The history is replayed in ``installed_rank`` order: a successful
``UNDO_SQL`` row cancels the latest application of its version (it becomes
pending again), a ``DELETE`` row (written by repair) retires a missing one,
and the last row of each repeatable is the one that counts. From that come
the states shown by ``info``, what ``migrate`` would apply, and the problems
``validate`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ecomctl.migrate.history import TYPE_BASELINE, TYPE_DELETE, TYPE_UNDO, HistoryRow
from ecomctl.migrate.resolver import Resolved, ResolvedScript
from ecomctl.migrate.results import MigrationInfo
from ecomctl.migrate.version import MigrationVersion


@dataclass
class Applied:
    """The row that currently stands for one version, and how it ended."""

    row: HistoryRow
    undone: bool = False
    deleted: bool = False

    @property
    def effective(self) -> bool:
        return not self.undone and not self.deleted


@dataclass
class Plan:
    infos: list[MigrationInfo]
    pending: list[ResolvedScript]  # versioned scripts migrate would run, in order
    out_of_order: set[MigrationVersion]
    repeatable: list[ResolvedScript]  # repeatables migrate would (re)run
    current: MigrationVersion | None
    applied: dict[MigrationVersion, Applied]
    baseline: MigrationVersion | None
    problems: list[str] = field(default_factory=list)  # validate-on-migrate problems
    pending_problems: list[str] = field(default_factory=list)  # only standalone validate


def _replay(
    rows: list[HistoryRow],
) -> tuple[dict[MigrationVersion, Applied], dict[str, HistoryRow], list[HistoryRow]]:
    versioned: dict[MigrationVersion, Applied] = {}
    repeatable: dict[str, HistoryRow] = {}
    superseded: list[HistoryRow] = []
    for row in rows:
        if row.version is None:
            if row.description in repeatable:
                superseded.append(repeatable[row.description])
            repeatable[row.description] = row
            continue
        version = MigrationVersion.parse(row.version)
        if row.type == TYPE_UNDO:
            if row.success and version in versioned:
                versioned[version].undone = True
            continue
        if row.type == TYPE_DELETE:
            if version in versioned:
                versioned[version].deleted = True
            continue
        versioned[version] = Applied(row)
    return versioned, repeatable, superseded


def _info(row: HistoryRow, state: str, *, undoable: bool = False) -> MigrationInfo:
    category = {TYPE_BASELINE: "Baseline", TYPE_UNDO: "Undo", TYPE_DELETE: "Delete"}.get(
        row.type, "Versioned" if row.version is not None else "Repeatable"
    )
    return MigrationInfo(
        category=category,
        version=row.version,
        description=row.description,
        type=row.type,
        script=row.script,
        state=state,
        installed_rank=row.installed_rank,
        installed_on=row.installed_on,
        installed_by=row.installed_by,
        execution_time=row.execution_time,
        checksum=row.checksum,
        undoable=undoable,
    )


def _pending_info(
    script: ResolvedScript, state: str, checksum: int, undoable: bool
) -> MigrationInfo:
    return MigrationInfo(
        category="Versioned" if script.version is not None else "Repeatable",
        version=None if script.version is None else str(script.version),
        description=script.description,
        type="SQL",
        script=script.script,
        state=state,
        checksum=checksum,
        undoable=undoable,
    )


def build_plan(
    resolved: Resolved,
    rows: list[HistoryRow],
    *,
    target: MigrationVersion | None = None,
    out_of_order: bool = False,
    repeatable_checksums: Mapping[str, int] | None = None,
    ignore: frozenset[str] = frozenset({"*:future"}),
) -> Plan:
    applied, last_repeatable, superseded = _replay(rows)
    by_version = {s.version: s for s in resolved.versioned if s.version is not None}
    baseline = max(
        (v for v, a in applied.items() if a.row.type == TYPE_BASELINE and a.effective), default=None
    )
    effective = [v for v, a in applied.items() if a.effective and a.row.success]
    current = max(effective, default=None)
    highest_resolved = max(by_version, default=None)
    plan = Plan([], [], set(), [], current, applied, baseline)

    for row in rows:  # everything recorded, in installed order
        plan.infos.append(
            _history_info(
                row,
                applied,
                last_repeatable,
                superseded,
                by_version,
                resolved,
                highest_resolved,
                plan,
                ignore,
            )
        )

    for version, script in by_version.items():
        existing = applied.get(version)
        undoable = version in resolved.undo
        if existing is not None and existing.effective:
            continue
        if baseline is not None and version <= baseline:
            plan.infos.append(_pending_info(script, "Below Baseline", script.checksum, undoable))
        elif target is not None and version > target:
            plan.infos.append(_pending_info(script, "Above Target", script.checksum, undoable))
        elif current is not None and version < current:
            if out_of_order:
                plan.pending.append(script)
                plan.out_of_order.add(version)
                plan.infos.append(_pending_info(script, "Pending", script.checksum, undoable))
            else:
                plan.infos.append(_pending_info(script, "Ignored", script.checksum, undoable))
                if not _ignored(ignore, "versioned", "ignored"):
                    plan.problems.append(
                        f"Detected resolved migration not applied to database: {version} "
                        f"({script.script}); "
                        "it is older than the current version: allow it with --out-of-order"
                    )
        else:
            plan.pending.append(script)
            plan.infos.append(_pending_info(script, "Pending", script.checksum, undoable))
            if not _ignored(ignore, "versioned", "pending"):
                plan.pending_problems.append(
                    f"Detected resolved migration not applied to database: {version}"
                )

    checksums = repeatable_checksums or {}
    for script in resolved.repeatable:
        checksum = checksums.get(script.description, script.checksum)
        last = last_repeatable.get(script.description)
        if last is not None and last.success and last.checksum == checksum:
            continue
        state = "Outdated" if last is not None else "Pending"
        plan.repeatable.append(script)
        plan.infos.append(_pending_info(script, state, checksum, False))
        if not _ignored(ignore, "repeatable", "pending"):
            plan.pending_problems.append(
                f"Detected {'outdated ' if last else ''}resolved repeatable migration not applied "
                f"to database: {script.description}"
            )
    return plan


def _history_info(
    row: HistoryRow,
    applied: dict[MigrationVersion, Applied],
    last_repeatable: dict[str, HistoryRow],
    superseded: list[HistoryRow],
    by_version: dict[MigrationVersion, ResolvedScript],
    resolved: Resolved,
    highest_resolved: MigrationVersion | None,
    plan: Plan,
    ignore: frozenset[str],
) -> MigrationInfo:
    if row.version is None:
        return _repeatable_row_info(row, last_repeatable, superseded, resolved, plan, ignore)
    version = MigrationVersion.parse(row.version)
    current = applied.get(version)
    if row.type in (TYPE_UNDO, TYPE_DELETE):
        return _info(
            row, ("Undone" if row.type == TYPE_UNDO else "Deleted") if row.success else "Failed"
        )
    if row.type == TYPE_BASELINE:
        return _info(row, "Baseline")
    if current is None or current.row is not row:
        return _info(row, "Superseded")
    if current.undone:
        return _info(row, "Undone")
    if current.deleted:
        return _info(row, "Deleted")
    script = by_version.get(version)
    undoable = version in resolved.undo
    if script is None:
        future = highest_resolved is None or version > highest_resolved
        state = "Future" if future else "Missing"
        if not row.success:
            plan.problems.append(
                f"Detected failed migration to version {version} ({row.description}): "
                "remove its half-completed changes, then run repair"
            )
        elif not _ignored(ignore, "versioned", state.lower()):
            plan.problems.append(
                f"Detected applied migration not resolved locally: {version} ({row.script})"
            )
        return _info(row, f"{state} Failed" if not row.success else state)
    if not row.success:
        plan.problems.append(
            f"Detected failed migration to version {version} ({row.description}) "
            f"in {script.script}: "
            "remove its half-completed changes, then run repair"
        )
        return _info(row, "Failed", undoable=undoable)
    if row.checksum != script.checksum:
        plan.problems.append(
            f"Migration checksum mismatch for migration version {version} ({script.script}): "
            f"applied to database: {row.checksum}, resolved locally: {script.checksum}"
        )
    if row.description != script.description:
        plan.problems.append(
            f"Migration description mismatch for migration version {version}: "
            f"applied to database: {row.description!r}, resolved locally: {script.description!r}"
        )
    state = (
        "Out of Order" if plan.current is not None and _applied_late(row, applied) else "Success"
    )
    return _info(row, state, undoable=undoable)


def _applied_late(row: HistoryRow, applied: dict[MigrationVersion, Applied]) -> bool:
    """A version applied after a higher one was already there (Flyway's 'Out of Order')."""
    assert row.version is not None
    version = MigrationVersion.parse(row.version)
    return any(
        other > version
        and a.row.installed_rank < row.installed_rank
        and a.row.type != TYPE_BASELINE
        for other, a in applied.items()
    )


def _repeatable_row_info(
    row: HistoryRow,
    last_repeatable: dict[str, HistoryRow],
    superseded: list[HistoryRow],
    resolved: Resolved,
    plan: Plan,
    ignore: frozenset[str],
) -> MigrationInfo:
    if any(row is s for s in superseded) or last_repeatable.get(row.description) is not row:
        return _info(row, "Superseded")
    known = {s.description for s in resolved.repeatable}
    if not row.success:
        plan.problems.append(
            f"Detected failed repeatable migration: {row.description} ({row.script}): "
            "remove its half-completed changes, then run repair"
        )
        return _info(row, "Failed")
    if row.description not in known:
        if not _ignored(ignore, "repeatable", "missing"):
            plan.problems.append(
                f"Detected applied migration not resolved locally: {row.description} ({row.script})"
            )
        return _info(row, "Missing")
    return _info(row, "Success")


def _ignored(patterns: frozenset[str], kind: str, state: str) -> bool:
    """Flyway's ignoreMigrationPatterns: ``*:missing``, ``repeatable:pending``, ..."""
    return any(
        p.split(":", 1)[0] in ("*", kind) and p.split(":", 1)[-1] in ("*", state) for p in patterns
    )
