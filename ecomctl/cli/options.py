"""Options several commands share, spelled once."""

from __future__ import annotations

from collections.abc import Sequence


def component_names(values: Sequence[str] | None) -> list[str]:
    """`--only a,b --only c` -> [a, b, c]: repeated and comma-separated both count (a
    repeated option used to keep only its last value, silently)."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]
