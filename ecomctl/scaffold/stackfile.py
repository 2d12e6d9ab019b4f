"""Adding a service to a workspace's `ecomctl.yaml` without losing the team's comments.

The new entry is inserted as one flow-style line under `services:`; the result
is validated with the stack model before it is written, so a clash (a port
taken, an unknown infra name) is an error and the file stays as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ecomctl.errors import UsageError
from ecomctl.stack.loader import parse_stack
from ecomctl.stack.model import ServiceSpec, Stack

_SERVICES_LINE = re.compile(r"^services:[ \t]*(#.*)?$", re.MULTILINE)


def add_service(stack_file: Path, name: str, spec: ServiceSpec) -> Stack:
    text = stack_file.read_text(encoding="utf-8")
    current = parse_stack(text, stack_file)
    if name in current.services:
        raise UsageError(f"{stack_file}: service {name!r} is already in the stack")
    entry = _flow_entry(name, spec)
    match = _SERVICES_LINE.search(text)
    if match:
        cut = match.end()
        updated = f"{text[:cut]}\n  {entry}{text[cut:]}"
    else:
        data = yaml.safe_load(text)
        data.setdefault("services", {})
        data["services"] = {**(data["services"] or {}), name: _fields(spec)}
        updated = yaml.safe_dump(data, sort_keys=False)
    stack = parse_stack(updated, stack_file)
    stack_file.write_text(updated, encoding="utf-8")
    return stack


def _fields(spec: ServiceSpec) -> dict[str, object]:
    defaults = ServiceSpec(port=spec.port, template=spec.template)
    fields = spec.model_dump()
    keep = {"port", "template"}
    return {k: v for k, v in fields.items() if k in keep or v != getattr(defaults, k)}


def _flow_entry(name: str, spec: ServiceSpec) -> str:
    body = yaml.safe_dump(
        {name: _fields(spec)}, default_flow_style=True, sort_keys=False, width=10_000
    ).strip()
    return body.removeprefix("{").removesuffix("}")
