from __future__ import annotations

from typing import Any

from ecomkit.mongo_pages import newest_first


class Recorder:
    """A collection/cursor that records the calls a query makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any) -> Recorder:
            self.calls.append((name, args))
            return self

        return call


def test_a_page_is_newest_first_with_the_id_breaking_ties() -> None:
    collection = Recorder()

    newest_first(collection, {"userId": 3}, offset=20, limit=10)

    assert collection.calls == [
        ("find", ({"userId": 3},)),
        ("sort", ([("createdAt", -1), ("_id", 1)],)),
        ("skip", (20,)),
        ("limit", (10,)),
    ]
