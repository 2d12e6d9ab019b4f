"""One error root for the whole tool.

Core code raises these; the CLI maps them to exit codes in one place
(`ecomctl.cli.app`). `UserError` and its subclasses are shown as one readable
line; anything else is a bug and shows a traceback only with `--debug`.
"""

from __future__ import annotations


class ExitCode:
    """Exit codes documented in docs/commands.md."""

    OK = 0
    FAILED = 1  # the operation ran and failed (a component not ready, a check failed)
    USAGE = 2  # bad input: options, stack file, migration files
    INTERRUPTED = 130


class EcomctlError(Exception):
    """Root of every error ecomctl raises on purpose."""

    exit_code = ExitCode.FAILED


class UserError(EcomctlError):
    """An error the user can act on; shown as one line without a traceback."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(UserError):
    """Bad input: an option, a stack file or a migration file is wrong."""

    exit_code = ExitCode.USAGE


class ComponentFailed(UserError):
    """A component could not be installed, started or made ready."""

    def __init__(
        self, component: str, message: str, *, log_tail: str = "", hint: str | None = None
    ) -> None:
        super().__init__(f"{component}: {message}", hint=hint)
        self.component = component
        self.log_tail = log_tail
