"""Can readers of the previous contracts read events written with the current ones?

Rules, for an event whose `schema_version` did not change:

- a removed event or topic, a field removed or retyped, a moved topic or key: breaking
  (a reader of the previous version misreads or rejects the new events);
- a new field without a default, or a field that lost its default: breaking (a reader of
  the new version rejects events still in the topics from before);
- a new field with a default: compatible (readers ignore fields they do not know).

A bumped `schema_version` is how a breaking change is made on purpose; the new contract must
then still read the previous version (an upcaster), and older readers meet an explicit
"unknown version" instead of a wrong value. The switchover asks the same question of two
colors: `compatibility(blue, green)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ecomctl.contracts.snapshot import EventSchema, Snapshot


@dataclass(frozen=True)
class Problem:
    """One difference between two snapshots; `breaking` ones refuse the change."""

    subject: str  # the event type, or the topic
    kind: str  # removed-event, removed-topic, removed-field, retyped-field, ...
    message: str
    breaking: bool = True

    def line(self) -> str:
        return f"{self.subject}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "message": self.message,
            "breaking": self.breaking,
        }


def compatibility(previous: Snapshot, current: Snapshot) -> list[Problem]:
    """The breaking changes from `previous` to `current` (empty: readers are safe)."""
    return [p for p in differences(previous, current) if p.breaking]


def differences(previous: Snapshot, current: Snapshot) -> list[Problem]:
    """Every change, breaking or not, in a stable order."""
    found = [
        Problem(topic, "removed-topic", "topic removed")
        for topic in previous.topics
        if topic not in current.topics
    ]
    found += [
        Problem(topic, "added-topic", "topic added", breaking=False)
        for topic in current.topics
        if topic not in previous.topics
    ]
    for name, before in previous.events.items():
        after = current.events.get(name)
        if after is None:
            found.append(Problem(name, "removed-event", "event removed"))
        else:
            found += _event_changes(before, after)
    found += [
        Problem(name, "added-event", f"event added (version {event.version})", breaking=False)
        for name, event in current.events.items()
        if name not in previous.events
    ]
    return found


def _event_changes(before: EventSchema, after: EventSchema) -> list[Problem]:
    name = before.type
    if after.version < before.version:
        return [Problem(name, "version-lowered", f"version {before.version} → {after.version}")]
    if after.version > before.version:
        if before.version not in after.reads:
            message = (
                f"version {before.version} → {after.version} without an upcaster from version "
                f"{before.version} (events already in {before.topic} would be unreadable)"
            )
            return [Problem(name, "no-upcaster", message)]
        message = f"version {before.version} → {after.version} (reads {before.version})"
        return [Problem(name, "version-bumped", message, breaking=False)]
    found = []
    if after.topic != before.topic:
        found.append(Problem(name, "moved-topic", f"topic {before.topic} → {after.topic}"))
    if after.key != before.key:
        found.append(Problem(name, "changed-key", f"key {before.key} → {after.key}"))
    return found + _field_changes(name, before.version, fields(before.schema), fields(after.schema))


def _field_changes(
    name: str, version: int, before: dict[str, Field], after: dict[str, Field]
) -> list[Problem]:
    unchanged = f"without a new schema_version (still {version})"
    found = []
    for path, old in before.items():
        new = after.get(path)
        if new is None:
            parent = _parent(path)
            if not parent or parent in after:  # else the parent's removal says it
                found.append(Problem(name, "removed-field", f"field {path} removed {unchanged}"))
        elif new.type != old.type:
            message = f"field {path} retyped {old.type} → {new.type} {unchanged}"
            found.append(Problem(name, "retyped-field", message))
        elif new.required and not old.required:
            message = f"field {path} became required {unchanged}"
            found.append(Problem(name, "required-field", message))
    for path, new in after.items():
        if path in before or (_parent(path) and _parent(path) not in before):
            continue  # unchanged, or inside a field that is itself new
        if new.required:
            message = f"new field {path} is required (no default) {unchanged}"
            found.append(Problem(name, "required-field", message))
        else:
            found.append(Problem(name, "added-field", f"optional field {path} added", False))
    return found


def _parent(path: str) -> str:
    head, _, _ = path.rpartition(".")
    return head.removesuffix("[]")


@dataclass(frozen=True)
class Field:
    type: str
    required: bool


def fields(schema: dict[str, Any]) -> dict[str, Field]:
    """Every field of a JSON Schema object, nested ones as `items[].product_id`."""
    found: dict[str, Field] = {}
    _collect(schema, schema.get("$defs", {}), "", found)
    return found


def _collect(
    node: dict[str, Any], defs: dict[str, Any], prefix: str, out: dict[str, Field]
) -> None:
    node = _resolve(node, defs)
    required = set(node.get("required", ()))
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        out[path] = Field(type_of(prop, defs), name in required)
        for inner, suffix in _nested(prop, defs):
            _collect(inner, defs, f"{path}{suffix}.", out)


def _nested(prop: dict[str, Any], defs: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """The object schemas inside a property: itself, list items, nullable alternatives."""
    prop = _resolve(prop, defs)
    if "properties" in prop:
        yield prop, ""
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        for inner, suffix in _nested(prop["items"], defs):
            yield inner, "[]" + suffix
    for option in prop.get("anyOf", ()):
        yield from _nested(option, defs)


def type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A field's type as one comparable string: `integer`, `string(date-time)|null`, ..."""
    prop = _resolve(prop, defs)
    if "anyOf" in prop:
        return "|".join(sorted(type_of(option, defs) for option in prop["anyOf"]))
    if "properties" in prop:
        return "object"
    kind = str(prop.get("type", "any"))
    if kind == "array":
        items = prop.get("items")
        return f"array<{type_of(items, defs) if isinstance(items, dict) else 'any'}>"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map<{type_of(prop['additionalProperties'], defs)}>"
    details = [prop["format"]] if "format" in prop else []
    if "pattern" in prop:
        details.append(f"/{prop['pattern']}/")
    if "enum" in prop:
        details.append("one of " + ",".join(sorted(map(str, prop["enum"]))))
    if "const" in prop:
        details.append(f"= {prop['const']}")
    return f"{kind}({' '.join(details)})" if details else kind


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = defs[ref.removeprefix("#/$defs/")]
        return resolved
    return node
