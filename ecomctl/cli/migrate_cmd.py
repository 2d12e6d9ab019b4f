"""`ecomctl migrate`: Flyway-compatible SQL migrations (info, migrate, validate, repair, ...).

Thin commands: options become a `MigrateSettings`, one engine call does the
work, and the result is shown as a table, lines or one JSON document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ecomctl import migrate as engine
from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import UsageError
from ecomctl.migrate.locations import service_locations
from ecomctl.migrate.results import AppliedMigration, InfoResult
from ecomctl.migrate.settings import CLEAN_ENV, MigrateSettings, clean_enabled_from_env

app = typer.Typer(
    help=(
        "Flyway-compatible SQL migrations for every service database.\n\n"
        "Examples:\n\n"
        "  ecomctl migrate --service order             # apply pending migrations\n\n"
        "  ecomctl migrate info --service inventory    # what is applied, what is pending\n\n"
        "  ecomctl migrate --url postgresql://u:p@host/db --locations db/migration --dry-run\n\n"
        "  ecomctl migrate undo --service payment      # run the U script of the latest version"
    ),
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Service = Annotated[
    str | None, typer.Option("--service", "-s", help="A stack service; uses its database.")
]
Url = Annotated[
    str | None,
    typer.Option("--url", help="postgresql://... or mysql://... (jdbc: URLs work too)."),
]
Locations = Annotated[
    list[Path] | None,
    typer.Option("--locations", "-l", help="Folder(s) of V/U/R scripts (repeatable)."),
]
PortOffset = Annotated[
    int, typer.Option("--port-offset", help="The offset the stack was started with.", min=0)
]
Target = Annotated[
    str | None, typer.Option("--target", help="Stop at this version ('latest', 'current').")
]
Placeholder = Annotated[
    list[str] | None,
    typer.Option("--placeholder", "-p", help="NAME=VALUE for ${NAME} (repeatable)."),
]
Schema = Annotated[
    str | None, typer.Option("--schema", help="PostgreSQL schema (default: current).")
]
Table = Annotated[str, typer.Option("--table", help="History table.")]
OutOfOrder = Annotated[
    bool, typer.Option("--out-of-order", help="Apply pending versions older than the current one.")
]
BaselineOnMigrate = Annotated[
    bool,
    typer.Option("--baseline-on-migrate", help="Baseline a non-empty schema without history."),
]
BaselineVersion = Annotated[
    str, typer.Option("--baseline-version", help="Version of the baseline.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the SQL; change nothing.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _settings(
    ctx: typer.Context,
    *,
    service: str | None,
    url: str | None,
    locations: list[Path] | None,
    port_offset: int = 0,
    target: str | None = None,
    placeholder: list[str] | None = None,
    schema: str | None = None,
    table: str = "flyway_schema_history",
    out_of_order: bool = False,
    baseline_on_migrate: bool = False,
    baseline_version: str = "1",
    clean_enabled: bool = False,
    need_locations: bool = True,
) -> MigrateSettings:
    if bool(service) == bool(url):
        raise UsageError("give exactly one of --service NAME or --url URL")
    if url:
        if not locations and need_locations:
            raise UsageError("--url needs --locations FOLDER")
        db_url = engine.parse_url(url)
        folders = tuple(locations or ())
    else:
        assert service is not None
        tgt = state(ctx).target()
        db_url = engine.service_url(tgt.stack, service, port_offset=port_offset)
        folders = tuple(locations or ())
        if not folders and need_locations:
            folders = service_locations(service, workspace_root=tgt.workspace.root)
    return MigrateSettings(
        url=db_url,
        locations=folders,
        table=table,
        schema=schema or db_url.schema,
        target=target,
        out_of_order=out_of_order,
        baseline_on_migrate=baseline_on_migrate,
        baseline_version=baseline_version,
        placeholders=_placeholders(placeholder or []),
        clean_enabled=clean_enabled or clean_enabled_from_env(),
    )


def _placeholders(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--placeholder {pair!r}: use NAME=VALUE")
        values[name] = value
    return values


def _output(ctx: typer.Context, json_out: bool) -> Output:
    return Output(json_mode=json_out, debug=state(ctx).debug)


def _show_applied(output: Output, verb: str, items: list[AppliedMigration]) -> None:
    for item in items:
        label = f"version {item.version}" if item.version else "repeatable"
        late = " (out of order)" if item.out_of_order else ""
        output.line(verb, f"{label} - {item.description}{late} [{item.execution_time} ms]", "green")


def _show_sql(output: Output, sql: list[str]) -> None:
    for statement in sql:
        output.info(statement)


@app.callback()
def default(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    target: Target = None,
    placeholder: Placeholder = None,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    out_of_order: OutOfOrder = False,
    baseline_on_migrate: BaselineOnMigrate = False,
    baseline_version: BaselineVersion = "1",
    dry_run: DryRun = False,
    json_out: Json = False,
) -> None:
    """Without a subcommand: migrate (apply every pending migration)."""
    if ctx.invoked_subcommand is not None:
        if service or url:
            raise UsageError(
                "put --service/--url after the subcommand: ecomctl migrate info --service order"
            )
        return
    run_migrate(
        ctx,
        service,
        url,
        locations,
        port_offset,
        target,
        placeholder,
        schema,
        table,
        out_of_order,
        baseline_on_migrate,
        baseline_version,
        dry_run,
        json_out,
    )


@app.command("migrate")
def run_migrate(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    target: Target = None,
    placeholder: Placeholder = None,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    out_of_order: OutOfOrder = False,
    baseline_on_migrate: BaselineOnMigrate = False,
    baseline_version: BaselineVersion = "1",
    dry_run: DryRun = False,
    json_out: Json = False,
) -> None:
    """Apply pending migrations (validating first), up to --target."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        target=target,
        placeholder=placeholder,
        schema=schema,
        table=table,
        out_of_order=out_of_order,
        baseline_on_migrate=baseline_on_migrate,
        baseline_version=baseline_version,
    )
    output = _output(ctx, json_out)
    result = engine.migrate(settings=settings, dry_run=dry_run)
    if json_out:
        output.json(result.to_dict())
        return
    for warning in result.warnings:
        output.warning(warning)
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


@app.command("info")
def run_info(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    target: Target = None,
    placeholder: Placeholder = None,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    out_of_order: OutOfOrder = False,
    json_out: Json = False,
) -> None:
    """Show every migration: applied, pending, failed, missing (as Flyway's info)."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        target=target,
        placeholder=placeholder,
        schema=schema,
        table=table,
        out_of_order=out_of_order,
    )
    result = engine.info(settings=settings)
    output = _output(ctx, json_out)
    if json_out:
        output.json(result.to_dict())
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
def run_validate(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    target: Target = None,
    placeholder: Placeholder = None,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    out_of_order: OutOfOrder = False,
    json_out: Json = False,
) -> None:
    """Check applied migrations against the files: checksums, missing, failed, pending."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        target=target,
        placeholder=placeholder,
        schema=schema,
        table=table,
        out_of_order=out_of_order,
    )
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
def run_repair(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    placeholder: Placeholder = None,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    json_out: Json = False,
) -> None:
    """Remove failed rows, realign checksums, mark missing migrations deleted."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        placeholder=placeholder,
        schema=schema,
        table=table,
    )
    result = engine.repair(settings=settings)
    output = _output(ctx, json_out)
    if json_out:
        output.json(result.to_dict())
        return
    output.success(
        f"{result.database}: removed {result.removed_failed} failed row(s); realigned "
        f"{', '.join(result.realigned) or 'none'}; "
        f"marked deleted {', '.join(result.marked_deleted) or 'none'}"
    )


@app.command("baseline")
def run_baseline(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    baseline_version: BaselineVersion = "1",
    json_out: Json = False,
) -> None:
    """Mark an existing database as being at --baseline-version (nothing below it runs)."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        schema=schema,
        table=table,
        baseline_version=baseline_version,
    )
    result = engine.baseline(settings=settings)
    output = _output(ctx, json_out)
    if json_out:
        output.json(result.to_dict())
    else:
        output.success(f"{result.database}: baselined at version {result.version}")


@app.command("undo")
def run_undo(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    target: Annotated[
        str | None, typer.Option("--target", help="Undo every version above this one.")
    ] = None,
    placeholder: Placeholder = None,
    schema: Schema = None,
    table: Table = "flyway_schema_history",
    dry_run: DryRun = False,
    json_out: Json = False,
) -> None:
    """Run the U script of the latest applied version (recorded as UNDO_SQL, as Flyway Teams)."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        target=target,
        placeholder=placeholder,
        schema=schema,
        table=table,
    )
    result = engine.undo(settings=settings, dry_run=dry_run)
    output = _output(ctx, json_out)
    if json_out:
        output.json(result.to_dict())
        return
    if dry_run:
        _show_sql(output, result.sql)
        return
    _show_applied(output, "undone", result.undone)
    output.success(f"{result.database}: {len(result.undone)} migration(s) undone")


@app.command("clean")
def run_clean(
    ctx: typer.Context,
    service: Service = None,
    url: Url = None,
    locations: Locations = None,
    port_offset: PortOffset = 0,
    schema: Schema = None,
    clean_enabled: Annotated[
        bool,
        typer.Option("--clean-enabled", help=f"Allow clean (or set {CLEAN_ENV}=true)."),
    ] = False,
    json_out: Json = False,
) -> None:
    """Drop every object in the schema, history included. Refused unless enabled."""
    settings = _settings(
        ctx,
        service=service,
        url=url,
        locations=locations,
        port_offset=port_offset,
        schema=schema,
        clean_enabled=clean_enabled,
        need_locations=False,
    )
    result = engine.clean(settings=settings)
    output = _output(ctx, json_out)
    if json_out:
        output.json(result.to_dict())
    else:
        output.success(
            f"{result.database}: dropped {len(result.dropped)} object(s) in {result.schema}"
        )
