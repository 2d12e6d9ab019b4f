"""The contracts as plain JSON: every event's schema, topic, key and versions.

What `ecomctl events check` compares, and what a running service answers on `GET
/contracts`: a release compares the serving color's answer with the new color's, so the
contracts compared are the ones each process really loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ecomkit.contracts.base import Contract
from ecomkit.contracts.registry import CONTRACTS
from ecomkit.contracts.topics import Topic

FORMAT = 1


def describe(
    contracts: Iterable[type[Contract]] = CONTRACTS, topics: Iterable[str] = tuple(Topic)
) -> dict[str, Any]:
    events = {}
    for contract in contracts:
        schema = contract.model_json_schema(mode="serialization", by_alias=True)
        events[contract.event_type] = {
            "version": contract.schema_version,
            "topic": str(contract.topic),
            "key": contract.key_field,
            "aggregate": contract.aggregate,
            "reads": list(contract.readable_versions()),
            "schema": _without_titles(schema),
        }
    return {
        "format": FORMAT,
        "topics": [str(topic) for topic in topics],
        "events": dict(sorted(events.items())),
    }


def _without_titles(schema: Any) -> Any:
    """pydantic's generated titles ("Order Id") say nothing the names do not."""
    if isinstance(schema, dict):
        return {
            k: _without_titles(v)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_without_titles(v) for v in schema]
    return schema
