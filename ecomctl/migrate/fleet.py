"""Every service database of a workspace at once: bare ``ecomctl migrate`` and ``migrate info``.

The services are taken in the order ``ecomctl up`` starts them (dependencies
first, `runtime.plan.select_names`), keeping those with a SQL database and
migration scripts. The run stops at the first service that fails: later ones
are reported as not attempted, so what happened is never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ecomctl.errors import EcomctlError, UsageError, UserError
from ecomctl.migrate import engine
from ecomctl.migrate.locations import service_locations
from ecomctl.migrate.phases import Phase, apply_phase
from ecomctl.migrate.results import InfoResult, MigrateResult, ServiceOutcome, ServicesResult
from ecomctl.migrate.settings import MigrateSettings
from ecomctl.migrate.url import service_url
from ecomctl.stack.model import Stack

_APPLIED_STATES = {"Success", "Out of Order", "Baseline"}
_PENDING_STATES = {"Pending", "Outdated"}


@dataclass(frozen=True)
class ServiceDatabase:
    service: str
    settings: MigrateSettings


def migratable_services(stack: Stack, *, workspace_root: Path | None) -> list[str]:
    """Enabled services with a SQL database and migrations, dependencies first."""
    from ecomctl.runtime.plan import select_names

    found = []
    for name in select_names(stack, []):
        spec = stack.services.get(name)
        if spec is None or name in stack.infra or not spec.database:
            continue
        try:
            service_locations(name, workspace_root=workspace_root)
        except UsageError:
            continue  # no scripts anywhere: nothing to migrate
        found.append(name)
    return found


def service_settings(
    stack: Stack,
    service: str,
    *,
    workspace_root: Path | None,
    port_offset: int = 0,
    locations: tuple[Path, ...] = (),
    base: MigrateSettings | None = None,
) -> MigrateSettings:
    """One service's database and scripts (`locations` overrides where the scripts are);
    the other settings come from `base`."""
    url = service_url(stack, service, port_offset=port_offset)
    folders = locations or service_locations(service, workspace_root=workspace_root)
    if base is None:
        return MigrateSettings(url=url, locations=folders)
    return replace(base, url=url, locations=folders, schema=base.schema or url.schema)


class ServicesFailed(UserError):
    """One service failed; the services after it were not attempted."""

    def __init__(self, result: ServicesResult, failed: str, cause: EcomctlError) -> None:
        skipped = [s.service for s in result.services if s.status == "not attempted"]
        rest = f"; not attempted: {', '.join(skipped)}" if skipped else ""
        super().__init__(
            f"{result.command} stopped at service {failed}: {cause}{rest}",
            hint=getattr(cause, "hint", None),
        )
        self.result = result
        self.exit_code = cause.exit_code


MigrateFn = Callable[..., MigrateResult]
InfoFn = Callable[..., InfoResult]


def migrate_services(
    *,
    targets: Sequence[ServiceDatabase],
    phase: Phase = Phase.ALL,
    allow_contract: bool = False,
    dry_run: bool = False,
    apply: MigrateFn = apply_phase,
) -> ServicesResult:
    """`apply` is `phases.apply_phase` (a fake in unit tests)."""

    def run(target: ServiceDatabase) -> ServiceOutcome:
        result = apply(
            settings=target.settings, phase=phase, allow_contract=allow_contract, dry_run=dry_run
        )
        return _migrated(target.service, result)

    return _each(targets, "migrate", phase, run)


def info_services(
    *, targets: Sequence[ServiceDatabase], read: InfoFn = engine.info
) -> ServicesResult:
    def run(target: ServiceDatabase) -> ServiceOutcome:
        return _described(target.service, read(settings=target.settings))

    return _each(targets, "info", Phase.ALL, run)


def _each(
    targets: Sequence[ServiceDatabase],
    command: str,
    phase: Phase,
    run: Callable[[ServiceDatabase], ServiceOutcome],
) -> ServicesResult:
    if not targets:
        raise UsageError(
            "no service of this workspace has a SQL database with migrations",
            hint="give --url URL --locations FOLDER for another database",
        )
    outcomes: list[ServiceOutcome] = []
    for i, target in enumerate(targets):
        try:
            outcomes.append(run(target))
        except EcomctlError as error:
            outcomes.append(_failed(target, error))
            outcomes += [_not_attempted(t) for t in targets[i + 1 :]]
            result = ServicesResult(command, phase.value, False, outcomes)
            raise ServicesFailed(result, target.service, error) from error
    return ServicesResult(command, phase.value, True, outcomes)


def _migrated(service: str, result: MigrateResult) -> ServiceOutcome:
    if result.dry_run:
        count = len([line for line in result.sql if line.startswith("-- ")])
        status = f"dry run: {count} would run"
    elif result.applied:
        status = f"{len(result.applied)} applied"
    else:
        status = "up to date"
    if result.held_back:
        status += f", {len(result.held_back)} held back for contract"
    return ServiceOutcome(
        service=service,
        database=result.database,
        status=status,
        current_version=result.target_version,
        applied=[a.version or a.script for a in result.applied],
        pending=len(result.held_back),
        warnings=list(result.warnings),
        sql=list(result.sql),
    )


def _described(service: str, result: InfoResult) -> ServiceOutcome:
    states = [m.state for m in result.migrations]
    applied = sum(state in _APPLIED_STATES for state in states)
    pending = sum(state in _PENDING_STATES for state in states)
    failed = [m.script for m in result.migrations if "Failed" in m.state]
    if failed:
        status = f"failed: {', '.join(failed)}"
    else:
        status = f"{pending} pending" if pending else "up to date"
    return ServiceOutcome(
        service=service,
        database=result.database,
        status=status,
        current_version=result.current_version,
        applied_total=applied,
        pending=pending,
    )


def _failed(target: ServiceDatabase, error: EcomctlError) -> ServiceOutcome:
    return ServiceOutcome(
        target.service, target.settings.url.redacted(), "failed", error=str(error)
    )


def _not_attempted(target: ServiceDatabase) -> ServiceOutcome:
    return ServiceOutcome(target.service, target.settings.url.redacted(), "not attempted")
