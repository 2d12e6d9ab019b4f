"""The services' JSON log lines, merged into one time-ordered view and filtered.

Every kit service writes one JSON object per line (ecomkit.logging): time, level, logger,
message, service, correlation_id and trace_id. Filtering by trace id joins the logs of one
order across services, the way `ecomctl trace` joins its spans. Lines that are not such
JSON (the infrastructure's own logs, a crash's raw traceback) have no time or trace to go
by, so a filtered view leaves them out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecomctl.errors import UsageError
from ecomctl.runtime.base import LogLine

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL"}


@dataclass(frozen=True)
class LogFilter:
    trace_id: str | None = None
    min_level: int = 0
    since: datetime | None = None


@dataclass(frozen=True)
class Entry:
    component: str
    at: datetime
    level: str
    record: dict[str, Any]

    @property
    def message(self) -> str:
        text = str(self.record.get("message", ""))
        trace = self.record.get("exc_info")
        return f"{text}\n{trace}" if trace else text

    def to_json(self) -> dict[str, Any]:
        return {"component": self.component, **self.record}


def level_number(name: str) -> int:
    upper = ALIASES.get(name.strip().upper(), name.strip().upper())
    if upper not in LEVELS:
        raise UsageError(f"unknown level {name!r}: use one of {', '.join(LEVELS).lower()}")
    return LEVELS[upper]


def parse(line: LogLine) -> Entry | None:
    """The line's JSON record with its time, or None for a line that is not one."""
    text = line.text.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
        at = datetime.fromisoformat(str(record["time"]))
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(record, dict) or at.tzinfo is None:
        return None
    return Entry(line.component, at, str(record.get("level", "INFO")).upper(), record)


def matches(entry: Entry, wanted: LogFilter) -> bool:
    if wanted.trace_id is not None and entry.record.get("trace_id") != wanted.trace_id:
        return False
    if LEVELS.get(entry.level, 20) < wanted.min_level:
        return False
    return wanted.since is None or entry.at >= wanted.since


def selected(lines: Iterable[LogLine], wanted: LogFilter) -> Iterator[Entry]:
    for line in lines:
        entry = parse(line)
        if entry is not None and matches(entry, wanted):
            yield entry


def merged_in_time(lines: Iterable[LogLine], wanted: LogFilter) -> list[Entry]:
    """Every matching entry of every component, oldest first (stable for equal times)."""
    return sorted(selected(lines, wanted), key=lambda e: e.at)
