"""`events check` and `events docs` as functions: what the CLI calls, usable as a library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecomctl import __version__
from ecomctl.contracts.asyncapi import Format, asyncapi_document, render
from ecomctl.contracts.compat import Problem, differences
from ecomctl.contracts.snapshot import current, default_snapshot_path, read_snapshot, write_snapshot
from ecomctl.errors import UserError
from ecomctl.stack.model import Stack


class BreakingChanges(UserError):
    """The contracts changed in a way readers of the snapshot cannot follow."""


@dataclass(frozen=True)
class CheckResult:
    snapshot: Path
    problems: list[Problem]  # breaking: refused
    changes: list[Problem]  # compatible
    stale: bool  # the snapshot differs from the contracts (before any update)
    updated: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "snapshot": str(self.snapshot),
            "problems": [p.to_json() for p in self.problems],
            "changes": [c.to_json() for c in self.changes],
            "stale": self.stale,
            "updated": self.updated,
        }


def check_contracts(*, against: Path | None = None, update: bool = False) -> CheckResult:
    """Compare the kit's contracts with a snapshot; with `update`, rewrite it unless that
    would hide a breaking change."""
    path = against or default_snapshot_path()
    previous, now = read_snapshot(path), current()
    found = differences(previous, now)
    problems = [p for p in found if p.breaking]
    stale = previous.to_json() != now.to_json()
    updated = update and stale and not problems
    if updated:
        write_snapshot(path, now)
    return CheckResult(
        snapshot=path,
        problems=problems,
        changes=[p for p in found if not p.breaking],
        stale=stale,
        updated=updated,
    )


def events_document(*, stack: Stack, fmt: Format) -> str:
    """The AsyncAPI document of the current contracts and the stack's services."""
    return render(asyncapi_document(snapshot=current(), stack=stack, version=__version__), fmt)
