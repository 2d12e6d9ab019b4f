"""Options several commands share, spelled once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

# `--json` of a command that prints one document (a command that streams events says so
# in its own option).
JsonDocument = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def component_names(values: Sequence[str] | None) -> list[str]:
    """`--only a,b --only c` -> [a, b, c]: repeated and comma-separated both count (a
    repeated option used to keep only its last value, silently)."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]
