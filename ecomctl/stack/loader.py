"""Reads a stack file and turns validation errors into one line naming file, field and line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ecomctl.errors import UsageError
from ecomctl.stack.model import Stack

_PACKAGED_DEFAULT = "_data/stacks/default.yaml"


def default_stack_path() -> Path:
    """The default stack: packaged in a wheel, or the repository's stacks/ in a checkout."""
    packaged = resources.files("ecomctl").joinpath(_PACKAGED_DEFAULT)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "stacks" / "default.yaml"


def load_stack(path: Path | None = None) -> Stack:
    source = path or default_stack_path()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{source}: cannot read stack file ({exc.strerror})") from None
    return parse_stack(text, source)


def parse_stack(text: str, source: Path) -> Stack:
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{source}{where}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{source}:1: a stack file must be a mapping with name, infra, ...")
    try:
        return Stack.model_validate(data)
    except ValidationError as exc:
        raise UsageError(_describe(exc, root_node, source)) from None


def _describe(exc: ValidationError, root_node: yaml.Node | None, source: Path) -> str:
    first = exc.errors()[0]
    location = [part for part in first["loc"] if not isinstance(part, str) or part]
    field = ".".join(str(part) for part in location) or "(top level)"
    line = _line_of(root_node, location)
    message = first["msg"].removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{source}:{line}: {field}: {message}{suffix}"


def _line_of(node: yaml.Node | None, location: list[Any]) -> int:
    """The line of the deepest YAML node the error location still matches."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in location:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(key):
                found: yaml.Node = value_node
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    return None
