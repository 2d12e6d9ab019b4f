"""The CLI root: global options, command groups, and where errors become exit codes."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from ecomctl import __version__, config
from ecomctl.cli import (
    bench,
    dlq,
    events,
    generate,
    images,
    infra,
    init_cmd,
    keys,
    lifecycle,
    loadtest,
    projections,
    recommendations,
    render,
    scenario,
    search,
    top,
    trace,
    traffic,
    users,
    watch,
)
from ecomctl.cli.context import CliState
from ecomctl.cli.terminal import Output
from ecomctl.errors import ComponentFailed, EcomctlError, ExitCode, UserError

app = typer.Typer(
    name="ecomctl",
    help=(
        "Generate, run, test and operate the e-commerce microservices platform.\n\n"
        "Examples:\n\n"
        "  ecomctl up                 # install what is missing and start the stack\n\n"
        "  ecomctl status --json      # health, ports, pids\n\n"
        "  ecomctl logs kafka -f      # follow one component's log\n\n"
        "  ecomctl down --volumes     # stop everything and delete its data"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecomctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder [env: ECOMCTL_WORKSPACE].",
            show_default=False,
        ),
    ] = None,
    stack: Annotated[
        Path | None,
        typer.Option(
            "--stack",
            help="Stack file (default: the workspace's ecomctl.yaml, else the built-in stack).",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = CliState(workspace=workspace, stack_file=stack, debug=debug or config.debug_enabled())


lifecycle.register(app)
init_cmd.register(app)
app.add_typer(generate.app, name="generate")
app.add_typer(users.app, name="users")
app.add_typer(keys.app, name="keys")
app.add_typer(infra.app, name="infra")
app.add_typer(render.app, name="render")
app.add_typer(images.app, name="images")
scenario.register(app)
loadtest.register(app)
bench.register(app)
traffic.register(app)
trace.register(app)
top.register(app)
watch.register(app)
app.add_typer(dlq.app, name="dlq")
app.add_typer(events.app, name="events")
app.add_typer(search.app, name="search")
app.add_typer(recommendations.app, name="recommendations")
app.add_typer(projections.app, name="projections")
try:  # the migrate group arrives with its own module
    from ecomctl.cli import migrate_cmd

    app.add_typer(migrate_cmd.app, name="migrate")
except ImportError:  # pragma: no cover - during development only
    pass


def main() -> None:
    """Entry point: run the app and map every error to one line and an exit code."""
    debug = "--debug" in sys.argv or config.debug_enabled()
    output = Output(debug=debug)
    try:
        returned = app(standalone_mode=False)
        sys.exit(returned if isinstance(returned, int) else ExitCode.OK)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        output.error("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
    except typer.Abort:
        output.error("aborted")
        sys.exit(ExitCode.INTERRUPTED)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except _click_errors() as usage:
        usage.show()  # type: ignore[attr-defined]
        sys.exit(usage.exit_code)  # type: ignore[attr-defined]
    except ComponentFailed as failure:
        output.error(str(failure), hint=failure.hint, detail=_indent(failure.log_tail))
        sys.exit(failure.exit_code)
    except UserError as failure:
        output.error(str(failure), hint=failure.hint)
        sys.exit(failure.exit_code)
    except EcomctlError as failure:
        output.error(str(failure))
        sys.exit(failure.exit_code)
    except Exception as bug:
        if debug:
            traceback.print_exc()
        output.error(
            f"unexpected {type(bug).__name__}: {bug}",
            hint=None if debug else "run again with --debug for the traceback",
        )
        sys.exit(ExitCode.FAILED)


def _click_errors() -> tuple[type[Exception], ...]:
    """Typer vendors its own click (no `click` package needed): its usage errors
    share one ClickException base, found through a public typer exception."""
    base = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    return (base,)


def _indent(text: str) -> str:
    return "\n".join(f"  | {line}" for line in text.splitlines()) if text else ""
