"""`ecomctl migrate`: Flyway-compatible SQL migrations (info, migrate, validate, repair, ...).

Thin commands: options become a `MigrateSettings` (the options are declared once,
in `migrate_options`), one engine call does the work, and the result is shown as a
table, lines or one JSON document. Without --service/--url, `migrate` and `info`
act on every service of the workspace and show one table (`migrate.fleet`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from ecomctl import migrate as engine
from ecomctl.cli.context import state
from ecomctl.cli.migrate_options import (
    AllowContract,
    DryRun,
    MigrateOptions,
    Phase,
    migrate_options,
)
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output
from ecomctl.errors import UsageError
from ecomctl.migrate import fleet, phases
from ecomctl.migrate.results import AppliedMigration, InfoResult, ServicesResult

app = typer.Typer(
    help=(
        "Flyway-compatible SQL migrations for every service database.\n\n"
        "Examples:\n\n"
        "  ecomctl migrate                             # every service, dependencies first\n\n"
        "  ecomctl migrate info                        # applied/pending of every service\n\n"
        "  ecomctl migrate --service order             # one service\n\n"
        "  ecomctl migrate --phase expand --service order    # before a release: additive only\n\n"
        "  ecomctl migrate --phase contract --service order  # after promotion: the rest\n\n"
        "  ecomctl migrate info --service inventory    # what is applied, what is pending\n\n"
        "  ecomctl migrate --url postgresql://u:p@host/db --locations db/migration --dry-run\n\n"
        "  ecomctl migrate undo --service payment      # run the U script of the latest version"
    ),
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _output(ctx: typer.Context, json_out: bool) -> Output:
    return Output(json_mode=json_out, debug=state(ctx).debug)


def _human(ctx: typer.Context, json_out: bool, result: Any) -> Output | None:
    """With --json: prints the result's document and returns None; else the Output to use."""
    output = _output(ctx, json_out)
    if json_out:
        output.json(result.to_dict())
        return None
    return output


def _show_applied(output: Output, verb: str, items: list[AppliedMigration]) -> None:
    for item in items:
        label = f"version {item.version}" if item.version else "repeatable"
        late = " (out of order)" if item.out_of_order else ""
        output.line(verb, f"{label} - {item.description}{late} [{item.execution_time} ms]", "green")


def _show_sql(output: Output, sql: list[str]) -> None:
    for statement in sql:
        output.info(statement)


# What `migrate` (and `ecomctl migrate` without a subcommand) and `info`/`validate` accept.
MIGRATE = ("target", "placeholder", "schema", "table", "out_of_order")
APPLY = (*MIGRATE, "baseline_on_migrate", "baseline_version")


@app.callback()
@migrate_options(*APPLY)
def default(
    ctx: typer.Context,
    options: MigrateOptions,
    phase: Phase = phases.Phase.ALL,
    allow_contract: AllowContract = False,
    dry_run: DryRun = False,
    json_out: JsonDocument = False,
) -> None:
    """Without a subcommand: migrate (apply every pending migration)."""
    if ctx.invoked_subcommand is not None:
        if options.service or options.url:
            raise UsageError(
                "put --service/--url after the subcommand: ecomctl migrate info --service order"
            )
        if phase is not phases.Phase.ALL or allow_contract:
            raise UsageError("--phase and --allow-contract belong to migrate, not to a subcommand")
        return
    _migrate(ctx, options, phase, allow_contract=allow_contract, dry_run=dry_run, json_out=json_out)


@app.command("migrate")
@migrate_options(*APPLY)
def run_migrate(
    ctx: typer.Context,
    options: MigrateOptions,
    phase: Phase = phases.Phase.ALL,
    allow_contract: AllowContract = False,
    dry_run: DryRun = False,
    json_out: JsonDocument = False,
) -> None:
    """Apply pending migrations (validating first), up to --target; --phase for a release."""
    _migrate(ctx, options, phase, allow_contract=allow_contract, dry_run=dry_run, json_out=json_out)


def _migrate(
    ctx: typer.Context,
    options: MigrateOptions,
    phase: phases.Phase,
    *,
    allow_contract: bool,
    dry_run: bool,
    json_out: bool,
) -> None:
    if allow_contract and phase is not phases.Phase.EXPAND:
        raise UsageError("--allow-contract only applies to --phase expand")
    if options.every_service:
        _show_services(
            ctx,
            json_out,
            lambda: fleet.migrate_services(
                targets=options.service_targets(ctx),
                phase=phase,
                allow_contract=allow_contract,
                dry_run=dry_run,
            ),
        )
        return
    settings = options.settings(ctx)
    result = phases.apply_phase(
        settings=settings, phase=phase, allow_contract=allow_contract, dry_run=dry_run
    )
    output = _human(ctx, json_out, result)
    if output is None:
        return
    for warning in result.warnings:
        output.warning(warning)
    if result.held_back:
        output.info(
            f"held back for the contract phase: {', '.join(result.held_back)} "
            "(run 'ecomctl migrate --phase contract' after promotion)"
        )
    if dry_run:
        _show_sql(output, result.sql)
        output.info(
            f"dry run: {len([s for s in result.sql if s.startswith('-- ')])} migration(s) would run"
        )
        return
    if result.baselined:
        output.info(f"baselined {result.schema} at version {settings.baseline_version}")
    _show_applied(output, "applied", result.applied)
    if result.applied:
        output.success(
            f"{result.database}: {len(result.applied)} migration(s) applied, "
            f"now at version {result.target_version}"
        )
    else:
        output.success(
            f"{result.database}: up to date at version {result.target_version or '<none>'}"
        )


def _show_services(ctx: typer.Context, json_out: bool, run: Callable[[], ServicesResult]) -> None:
    """One table (or JSON document) for every service, also when one of them failed."""
    output = _output(ctx, json_out)
    try:
        result = run()
    except fleet.ServicesFailed as failed:
        _services_table(output, failed.result, json_out)
        raise
    _services_table(output, result, json_out)


def _services_table(output: Output, result: ServicesResult, json_out: bool) -> None:
    if json_out:
        output.json(result.to_dict())
        return
    for service in result.services:
        for warning in service.warnings:
            output.warning(f"{service.service}: {warning}")
        if service.sql:
            output.info(f"-- service {service.service}")
            _show_sql(output, service.sql)
    if result.command == "info":
        columns = ["Service", "Database", "Applied", "Pending", "Version", "Status"]
        rows = [
            [s.service, s.database, s.applied_total, s.pending, s.current_version, s.status]
            for s in result.services
        ]
    else:
        columns = ["Service", "Database", "Applied", "Version", "Status"]
        rows = [
            [s.service, s.database, _applied_label(s.applied), s.current_version, s.status]
            for s in result.services
        ]
    phase = f" (phase {result.phase})" if result.command == "migrate" else ""
    output.table(f"{result.command}: every service{phase}", columns, rows)


def _applied_label(applied: list[str]) -> str:
    """`1, 2` or `1 … 5`, then `+1 R` for repeatables: a fresh database stays one line."""
    versions = [a for a in applied if not a.startswith("R__")]
    shown = ", ".join(versions) if len(versions) <= 3 else f"{versions[0]} … {versions[-1]}"
    repeatables = len(applied) - len(versions)
    return " ".join(filter(None, [shown, f"+{repeatables} R" if repeatables else ""]))


@app.command("info")
@migrate_options(*MIGRATE)
def run_info(ctx: typer.Context, options: MigrateOptions, json_out: JsonDocument = False) -> None:
    """Show every migration: applied, pending, failed, missing (as Flyway's info).
    Without --service/--url: one line per service of the workspace."""
    if options.every_service:
        _show_services(
            ctx, json_out, lambda: fleet.info_services(targets=options.service_targets(ctx))
        )
        return
    result = engine.info(settings=options.settings(ctx))
    output = _human(ctx, json_out, result)
    if output is None:
        return
    _info_table(output, result)


def _info_table(output: Output, result: InfoResult) -> None:
    rows: list[list[Any]] = [
        [
            m.category,
            m.version or "",
            m.description,
            m.type,
            m.installed_on.strftime("%Y-%m-%d %H:%M:%S") if m.installed_on else "",
            m.state,
            "Yes" if m.undoable else "No",
        ]
        for m in result.migrations
    ]
    title = (
        f"{result.database} (schema {result.schema}, version {result.current_version or '<none>'})"
    )
    output.table(
        title,
        ["Category", "Version", "Description", "Type", "Installed On", "State", "Undoable"],
        rows,
    )


@app.command("validate")
@migrate_options(*MIGRATE)
def run_validate(
    ctx: typer.Context, options: MigrateOptions, json_out: JsonDocument = False
) -> None:
    """Check applied migrations against the files: checksums, missing, failed, pending."""
    settings = options.settings(ctx)
    output = _output(ctx, json_out)
    try:
        result = engine.validate(settings=settings)
    except engine.ValidationFailed as failed:
        if json_out:
            output.json({**failed.result.to_dict(), "ok": False})
        else:
            for problem in failed.result.problems:
                output.line("problem", problem, "red")
        raise
    if json_out:
        output.json({**result.to_dict(), "ok": True})
    else:
        output.success(f"{result.database}: {result.validated} migration(s) validated")


@app.command("repair")
@migrate_options("placeholder", "schema", "table")
def run_repair(ctx: typer.Context, options: MigrateOptions, json_out: JsonDocument = False) -> None:
    """Remove failed rows, realign checksums, mark missing migrations deleted."""
    result = engine.repair(settings=options.settings(ctx))
    output = _human(ctx, json_out, result)
    if output is None:
        return
    output.success(
        f"{result.database}: removed {result.removed_failed} failed row(s); realigned "
        f"{', '.join(result.realigned) or 'none'}; "
        f"marked deleted {', '.join(result.marked_deleted) or 'none'}"
    )


@app.command("baseline")
@migrate_options("schema", "table", "baseline_version")
def run_baseline(
    ctx: typer.Context, options: MigrateOptions, json_out: JsonDocument = False
) -> None:
    """Mark an existing database as being at --baseline-version (nothing below it runs)."""
    result = engine.baseline(settings=options.settings(ctx))
    if output := _human(ctx, json_out, result):
        output.success(f"{result.database}: baselined at version {result.version}")


UndoTarget = Annotated[
    str | None, typer.Option("--target", help="Undo every version above this one.")
]


@app.command("undo")
@migrate_options("placeholder", "schema", "table", target=UndoTarget)
def run_undo(
    ctx: typer.Context,
    options: MigrateOptions,
    dry_run: DryRun = False,
    json_out: JsonDocument = False,
) -> None:
    """Run the U script of the latest applied version (recorded as UNDO_SQL, as Flyway Teams)."""
    result = engine.undo(settings=options.settings(ctx), dry_run=dry_run)
    output = _human(ctx, json_out, result)
    if output is None:
        return
    if dry_run:
        _show_sql(output, result.sql)
        return
    _show_applied(output, "undone", result.undone)
    output.success(f"{result.database}: {len(result.undone)} migration(s) undone")


@app.command("clean")
@migrate_options("schema", "clean_enabled")
def run_clean(ctx: typer.Context, options: MigrateOptions, json_out: JsonDocument = False) -> None:
    """Drop every object in the schema, history included. Refused unless enabled."""
    result = engine.clean(settings=options.settings(ctx, need_locations=False))
    if output := _human(ctx, json_out, result):
        output.success(
            f"{result.database}: dropped {len(result.dropped)} object(s) in {result.schema}"
        )
