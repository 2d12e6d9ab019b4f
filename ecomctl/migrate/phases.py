"""Expand and contract: a service's migrations in two phases around a release.

While blue (the running version) and green (the new one) share a database, only
*expand* scripts may run: they add and never take away, so blue keeps working.
A versioned script is a *contract* script when it has the line

    -- ecomctl:contract

(anywhere, by convention first). Contract scripts, and everything after the
first of them, wait for the *contract* phase, run once green has been promoted
and blue is gone. An expand script with a destructive statement (see
`destructive`) is refused before anything is applied, naming the file and line,
unless `allow_contract`. Repeatable (R__) scripts are re-created definitions that
blue may be reading, so they also wait for the contract phase.

`split_expand` and `is_contract` are pure; `apply_expand`, `apply_contract`,
`check_expand` and `apply_phase` are what `ecomctl migrate --phase` and
`ecomctl deploy` call.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ecomctl.errors import UserError
from ecomctl.migrate import engine
from ecomctl.migrate.destructive import Finding, find_destructive
from ecomctl.migrate.engine import PendingScript
from ecomctl.migrate.results import MigrateResult
from ecomctl.migrate.settings import MigrateSettings
from ecomctl.migrate.url import Dialect

CONTRACT_MARKER = "-- ecomctl:contract"
_MARKER_LINE = re.compile(
    r"^[ \t]*--[ \t]*ecomctl:contract[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)


class Phase(enum.StrEnum):
    EXPAND = "expand"
    CONTRACT = "contract"
    ALL = "all"


def is_contract(text: str) -> bool:
    return _MARKER_LINE.search(text) is not None


@dataclass(frozen=True)
class ExpandPlan:
    expand: list[PendingScript]  # applied by the expand phase, in order
    held_back: list[PendingScript]  # the first contract script and everything after it
    findings: list[Finding]  # destructive statements in `expand`


def split_expand(pending: Sequence[PendingScript], *, dialect: Dialect) -> ExpandPlan:
    first = next((i for i, p in enumerate(pending) if is_contract(p.script.text)), len(pending))
    expand = list(pending[:first])
    findings = [
        finding
        for p in expand
        for finding in find_destructive(p.sql, dialect=dialect, script=p.script.script)
    ]
    return ExpandPlan(expand, list(pending[first:]), findings)


class ExpandRefused(UserError):
    """An expand-phase script would break the running version; nothing was applied."""

    def __init__(self, findings: list[Finding]) -> None:
        shown = "; ".join(str(f) for f in findings[:3])
        more = f"; and {len(findings) - 3} more" if len(findings) > 3 else ""
        super().__init__(
            f"expand phase refused, nothing applied: {shown}{more}",
            hint=f"put it in a script marked '{CONTRACT_MARKER}' (applied by "
            "'ecomctl migrate --phase contract' after promotion), or pass --allow-contract",
        )
        self.findings = findings


def plan_expand(*, settings: MigrateSettings) -> ExpandPlan:
    return split_expand(engine.pending(settings=settings), dialect=settings.url.dialect)


def check_expand(*, settings: MigrateSettings) -> list[Finding]:
    """The destructive statements the expand phase would run now; nothing is applied."""
    return plan_expand(settings=settings).findings


def apply_expand(
    *, settings: MigrateSettings, allow_contract: bool = False, dry_run: bool = False
) -> MigrateResult:
    """Apply the pending scripts before the first contract script; raises `ExpandRefused`."""
    plan = plan_expand(settings=settings)
    if plan.findings and not allow_contract:
        raise ExpandRefused(plan.findings)
    first_held = plan.held_back[0].script.version if plan.held_back else None
    result = engine.migrate(
        settings=settings, dry_run=dry_run, stop_before=first_held, repeatables=False
    )
    allowed = [f"allowed by --allow-contract: {finding}" for finding in plan.findings]
    return replace(
        result,
        phase=Phase.EXPAND.value,
        held_back=[p.script.script for p in plan.held_back],
        warnings=[*result.warnings, *allowed],
    )


def apply_contract(*, settings: MigrateSettings, dry_run: bool = False) -> MigrateResult:
    """Everything pending, contract scripts and repeatables included (after promotion)."""
    result = engine.migrate(settings=settings, dry_run=dry_run)
    return replace(result, phase=Phase.CONTRACT.value)


def apply_phase(
    *,
    settings: MigrateSettings,
    phase: Phase = Phase.ALL,
    allow_contract: bool = False,
    dry_run: bool = False,
) -> MigrateResult:
    if phase is Phase.EXPAND:
        return apply_expand(settings=settings, allow_contract=allow_contract, dry_run=dry_run)
    if phase is Phase.CONTRACT:
        return apply_contract(settings=settings, dry_run=dry_run)
    return engine.migrate(settings=settings, dry_run=dry_run)
