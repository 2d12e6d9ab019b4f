"""Global options every command can read, set by the root callback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from ecomctl import operations


@dataclass
class CliState:
    workspace: Path | None
    stack_file: Path | None
    debug: bool

    def target(self, *, create: bool = False) -> operations.Target:
        return operations.target(
            workspace=self.workspace, stack_file=self.stack_file, create=create
        )


def state(ctx: typer.Context) -> CliState:
    found = ctx.find_root().obj
    assert isinstance(found, CliState)
    return found
