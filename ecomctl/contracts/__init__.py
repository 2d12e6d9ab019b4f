"""Event contracts from the operator's side: compatibility check, snapshot, AsyncAPI.

The contracts themselves live in the service kit (`ecomkit.contracts`); this package
compares them with a committed snapshot (`ecomctl events check`) and documents them
(`ecomctl events docs`). Nothing here imports typer or rich.
"""

from __future__ import annotations

from ecomctl.contracts.compat import Problem, compatibility, differences
from ecomctl.contracts.snapshot import EventSchema, Snapshot, current, read_snapshot

__all__ = [
    "EventSchema",
    "Problem",
    "Snapshot",
    "compatibility",
    "current",
    "differences",
    "read_snapshot",
]
