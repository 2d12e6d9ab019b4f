"""The contracts as plain data: every event's JSON Schema, topic, key and version.

A `Snapshot` is what `ecomctl events check` compares and `ecomctl events docs` publishes. It
is built from the kit's contract classes (`current()`) or read from a JSON file (the
committed `ecomkit/contracts/snapshot.json`, or another color's); both sides of a
comparison are therefore the same kind of thing, whatever their origin.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from ecomctl.errors import UsageError

FORMAT = 1


@dataclass(frozen=True)
class EventSchema:
    type: str
    version: int
    topic: str
    key: str
    aggregate: str
    reads: tuple[int, ...]  # the versions its readers accept (older ones upcast)
    schema: dict[str, Any] = field(compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "topic": self.topic,
            "key": self.key,
            "aggregate": self.aggregate,
            "reads": list(self.reads),
            "schema": self.schema,
        }


@dataclass(frozen=True)
class Snapshot:
    topics: tuple[str, ...]
    events: dict[str, EventSchema]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "topics": list(self.topics),
            "events": {name: event.to_json() for name, event in sorted(self.events.items())},
        }

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, data: Any, *, source: str) -> Snapshot:
        try:
            if data["format"] != FORMAT:
                raise UsageError(f"{source}: snapshot format {data['format']} (expected {FORMAT})")
            events = {
                name: EventSchema(
                    type=name,
                    version=int(raw["version"]),
                    topic=str(raw["topic"]),
                    key=str(raw["key"]),
                    aggregate=str(raw["aggregate"]),
                    reads=tuple(int(v) for v in raw["reads"]),
                    schema=dict(raw["schema"]),
                )
                for name, raw in data["events"].items()
            }
            return cls(topics=tuple(str(t) for t in data["topics"]), events=events)
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"{source}: not a contracts snapshot ({error!r} is wrong)") from None


def kit_contracts() -> ModuleType:
    """`ecomkit.contracts`: installed beside ecomctl, or from the kit source ecomctl ships
    (it needs nothing but pydantic, so the rest of the kit need not be installed)."""
    try:
        import ecomkit.contracts as module
    except ImportError:
        from ecomctl.runtime.venv import kit_dir

        kit = kit_dir()
        if kit is None:
            raise UsageError("the service kit (ecomkit) is neither installed nor shipped") from None
        sys.path.append(str(kit / "src"))
        import ecomkit.contracts as module
    return module


def snapshot_of(contracts: Iterable[Any], topics: Iterable[str]) -> Snapshot:
    """The snapshot of contract classes (`ecomkit.contracts.Contract` subclasses)."""
    described = kit_contracts().describe(tuple(contracts), tuple(topics))
    return Snapshot.from_json(described, source="the kit's contracts")


def current() -> Snapshot:
    module = kit_contracts()
    return snapshot_of(module.CONTRACTS, module.Topic)


def default_snapshot_path() -> Path:
    return Path(str(resources.files(kit_contracts()).joinpath("snapshot.json")))


def read_snapshot(path: Path) -> Snapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read the snapshot ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}:{error.lineno}: not JSON ({error.msg})") from None
    return Snapshot.from_json(data, source=str(path))


def write_snapshot(path: Path, snapshot: Snapshot) -> None:
    path.write_text(snapshot.text(), encoding="utf-8")
