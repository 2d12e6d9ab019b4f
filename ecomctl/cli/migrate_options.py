"""The options `ecomctl migrate` commands share, declared once.

`MigrateOptions` is both the list of options (each field's typer annotation and
default) and the value a command receives. `@migrate_options("schema", ...)`
adds the four options every command has (--service, --url, --locations,
--port-offset) and the named ones to a command's signature, in field order,
where the command has its `options` parameter; typer sees ordinary options, so
`--help` lists them like hand-written ones.

Without --service and --url, `migrate` and `info` act on every service of the
workspace (`service_targets`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from ecomctl import migrate as engine
from ecomctl.cli.context import state
from ecomctl.errors import UsageError
from ecomctl.migrate.fleet import ServiceDatabase, migratable_services
from ecomctl.migrate.locations import service_locations
from ecomctl.migrate.phases import CONTRACT_MARKER
from ecomctl.migrate.phases import Phase as MigratePhase
from ecomctl.migrate.settings import CLEAN_ENV, MigrateSettings, clean_enabled_from_env
from ecomctl.migrate.url import DatabaseUrl

F = TypeVar("F", bound=Callable[..., Any])

Service = Annotated[
    str | None,
    typer.Option(
        "--service", "-s", help="A stack service; uses its database (default: every service)."
    ),
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
CleanEnabled = Annotated[
    bool, typer.Option("--clean-enabled", help=f"Allow clean (or set {CLEAN_ENV}=true).")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the SQL; change nothing.")]
Phase = Annotated[
    MigratePhase,
    typer.Option(
        "--phase",
        help=f"expand: only scripts before the first one marked '{CONTRACT_MARKER}', refusing "
        "destructive ones; contract: everything (after promotion); all: everything.",
    ),
]
AllowContract = Annotated[
    bool,
    typer.Option("--allow-contract", help="With --phase expand: apply destructive scripts too."),
]


@dataclass(frozen=True)
class MigrateOptions:
    service: Service = None
    url: Url = None
    locations: Locations = None
    port_offset: PortOffset = 0
    target: Target = None
    placeholder: Placeholder = None
    schema: Schema = None
    table: Table = "flyway_schema_history"
    out_of_order: OutOfOrder = False
    baseline_on_migrate: BaselineOnMigrate = False
    baseline_version: BaselineVersion = "1"
    clean_enabled: CleanEnabled = False

    @property
    def every_service(self) -> bool:
        return not self.service and not self.url

    def settings(self, ctx: typer.Context, *, need_locations: bool = True) -> MigrateSettings:
        """The engine's settings: one database (a stack service's or a URL) and its folders."""
        if bool(self.service) == bool(self.url):
            raise UsageError("give exactly one of --service NAME or --url URL")
        folders = tuple(self.locations or ())
        if self.url:
            if not folders and need_locations:
                raise UsageError("--url needs --locations FOLDER")
            db_url = engine.parse_url(self.url)
        else:
            assert self.service is not None
            tgt = state(ctx).target()
            db_url = engine.service_url(tgt.stack, self.service, port_offset=self.port_offset)
            if not folders and need_locations:
                folders = service_locations(self.service, workspace_root=tgt.workspace.root)
        return self._for(db_url, folders)

    def service_targets(self, ctx: typer.Context) -> list[ServiceDatabase]:
        """Every service of the workspace with a database and migrations, dependencies first."""
        per_database = [
            flag
            for flag, value in (
                ("--locations", self.locations),
                ("--target", self.target),
                ("--schema", self.schema),
            )
            if value
        ]
        if per_database:
            raise UsageError(
                f"{', '.join(per_database)} needs --service NAME or --url URL "
                "(without them every service of the workspace is migrated)"
            )
        tgt = state(ctx).target()
        root = tgt.workspace.root
        return [
            ServiceDatabase(
                name,
                self._for(
                    engine.service_url(tgt.stack, name, port_offset=self.port_offset),
                    service_locations(name, workspace_root=root),
                ),
            )
            for name in migratable_services(tgt.stack, workspace_root=root)
        ]

    def _for(self, db_url: DatabaseUrl, folders: tuple[Path, ...]) -> MigrateSettings:
        return MigrateSettings(
            url=db_url,
            locations=folders,
            table=self.table,
            schema=self.schema or db_url.schema,
            target=self.target,
            out_of_order=self.out_of_order,
            baseline_on_migrate=self.baseline_on_migrate,
            baseline_version=self.baseline_version,
            placeholders=_placeholders(self.placeholder or []),
            clean_enabled=self.clean_enabled or clean_enabled_from_env(),
        )


COMMON = ("service", "url", "locations", "port_offset")


def migrate_options(*names: str, **annotations: Any) -> Callable[[F], F]:
    """Adds the common options and `names` where the command takes `options: MigrateOptions`.

    `annotations` replace a named option's annotation (its help) for this command only.
    """
    hints = get_type_hints(MigrateOptions, include_extras=True)
    wanted = set(COMMON) | set(names) | set(annotations)
    shared = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=f.default if f.default is not MISSING else None,
            annotation=annotations.get(f.name, hints[f.name]),
        )
        for f in fields(MigrateOptions)
        if f.name in wanted
    ]

    def decorate(command: F) -> F:
        own = get_type_hints(command, include_extras=True)
        params: list[inspect.Parameter] = []
        for param in inspect.signature(command).parameters.values():
            if param.name == "options":
                params += shared
            else:
                params.append(param.replace(annotation=own.get(param.name, param.annotation)))

        @functools.wraps(command)
        def with_options(*args: Any, **kwargs: Any) -> Any:
            chosen = {p.name: kwargs.pop(p.name) for p in shared}
            return command(*args, options=MigrateOptions(**chosen), **kwargs)

        with_options.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        with_options.__annotations__ = {p.name: p.annotation for p in params}
        return with_options  # type: ignore[return-value]

    return decorate


def _placeholders(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--placeholder {pair!r}: use NAME=VALUE")
        values[name] = value
    return values
