"""The reindex's order of steps, on in-memory indices, catalog and event log: what each
step must catch (the same run against OpenSearch, Kafka and MariaDB, with writes going on
throughout: ecomctl's tests/integration/test_search_service.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from product_search.domain.documents import IndexChange
from product_search.service_layer.reindex import (
    ReindexFailed,
    ReindexParts,
    ReindexReport,
    new_index_name,
    reindex,
)
from tests.contracts import product
from tests.fakes import FakeSearchIndex

pytestmark = pytest.mark.anyio
ALIAS = "products"


def stock(pid: int, version: int, available: int) -> IndexChange:
    fields = {"in_stock": available > 0, "available_stock": available}
    return IndexChange(pid, "stock", version, fields)


class Indices:
    def __init__(self) -> None:
        self.by_name: dict[str, FakeSearchIndex] = {"products-v1": FakeSearchIndex()}
        self.alias = ["products-v1"]
        self.swapped = False

    async def serving(self) -> list[str]:
        return list(self.alias)

    async def create(self, index: str, version: int) -> None:
        assert index not in self.by_name
        self.by_name[index] = FakeSearchIndex()

    async def delete(self, index: str) -> None:
        self.by_name.pop(index, None)

    async def stock_parts(self, index: str) -> AsyncIterator[IndexChange]:
        for pid, doc in sorted(self.by_name[index].docs.items()):
            if doc.get("stock_version") is not None:
                yield stock(pid, doc["stock_version"], doc["available_stock"])

    async def swap(self, old: list[str], new: str) -> None:
        assert old == self.alias
        self.alias, self.swapped = [new], True

    def serving_index(self) -> FakeSearchIndex:
        return self.by_name[self.alias[0]]


class EventLog:
    """One partition: offsets are list positions; the indexer committed `position`."""

    def __init__(self) -> None:
        self.log: list[IndexChange] = []
        self.position = 0
        self.after_read: Callable[[], None] = lambda: None

    async def committed(self) -> int:
        return self.position

    async def ends(self) -> int:
        return len(self.log)

    async def between(self, start: int, end: int) -> AsyncIterator[Any]:
        for change in self.log[start:end]:
            yield change


class Catalog:
    def __init__(self, rows: list[IndexChange], during: Callable[[], None]) -> None:
        self.rows, self.during = rows, during

    async def changes(self) -> AsyncIterator[IndexChange]:
        for row in self.rows:
            yield row
        self.during()  # writes made while the new index is being built


def as_change(event: Any) -> IndexChange:
    """This log holds the changes themselves, in place of the events they come from."""
    assert isinstance(event, IndexChange)
    return event


class Stack:
    """A serving index fed by a 'live indexer' (`publish`), a catalog, the event log."""

    def __init__(self) -> None:
        self.indices, self.events = Indices(), EventLog()
        self.rows: list[IndexChange] = []
        self.during: Callable[[], None] = lambda: None
        self.refuse = False

    async def publish(self, change: IndexChange, *, indexed: bool = True) -> None:
        """An event in Kafka; `indexed`: the live indexer applied and committed it."""
        self.events.log.append(change)
        if indexed:
            await self.indices.serving_index().apply(change)
            self.events.position = len(self.events.log)

    async def write_to(self, index: str, changes: Sequence[IndexChange]) -> list[Exception | None]:
        for change in changes:
            await self.indices.by_name[index].apply(change)
        return [ValueError("refused") if self.refuse else None for _ in changes]

    def parts(self) -> ReindexParts:
        catalog = Catalog(self.rows, lambda: self.during())
        return ReindexParts(self.indices, catalog, self.events, self.write_to, as_change)

    async def run(self) -> ReindexReport:
        return await reindex(self.parts(), alias=ALIAS, definition=2)


async def test_a_new_index_from_the_catalog_and_the_events_since_the_indexer_position() -> None:
    stack = Stack()
    shirt, shoe = product(1, 101, name="shirt"), product(1, 102, name="shoe")
    await stack.publish(shirt)
    await stack.publish(stock(101, 5, 3))
    await stack.publish(product(2, 101, name="shirt v2"), indexed=False)  # indexer behind
    stack.rows = [shirt, shoe]  # the snapshot: the row at v1 (read before v2 was committed)

    report = await stack.run()

    assert stack.indices.alias == [report.index] and report.previous == ["products-v1"]
    assert report.index.startswith("products-v2-") and report.definition == 2
    new = stack.indices.serving_index()
    assert (await new.get(101) or {})["name"] == "shirt v2"  # caught up from the position
    assert (await new.get(101) or {})["available_stock"] == 3  # stock copied over
    assert (await new.get(102) or {})["name"] == "shoe"
    assert (report.stock_copied, report.from_catalog, report.caught_up) == (1, 2, 1)


async def test_writes_during_the_build_and_around_the_swap_are_all_kept() -> None:
    stack = Stack()
    stack.rows = [product(3, 201, name="row v3")]

    def written_during_build() -> None:
        # A write after the snapshot: its event lands after the position, before `middle`.
        stack.events.log.append(product(4, 201, name="v4"))
        stack.events.log.append(product(1, 202, name="new"))

    stack.during = written_during_build
    original_swap = stack.indices.swap

    async def swap_while_indexer_writes_old(old: list[str], new: str) -> None:
        # Between `middle` and the swap the live indexer writes into the OLD index.
        await stack.publish(product(5, 201, name="v5"))
        await original_swap(old, new)

    stack.indices.swap = swap_while_indexer_writes_old  # type: ignore[method-assign]
    report = await stack.run()

    new = stack.indices.serving_index()
    assert (await new.get(201) or {})["name"] == "v5"
    assert (await new.get(202) or {})["name"] == "new"
    assert report.after_swap == 1


async def test_an_old_event_never_overwrites_the_newer_snapshot() -> None:
    stack = Stack()
    await stack.publish(product(1, 301, name="v1"), indexed=False)
    stack.rows = [product(7, 301, name="v7")]
    await stack.run()
    assert (await stack.indices.serving_index().get(301) or {})["name"] == "v7"


async def test_a_failure_before_the_swap_leaves_the_serving_index_alone() -> None:
    stack = Stack()
    stack.rows = [product(1, 401)]
    stack.refuse = True
    with pytest.raises(ReindexFailed, match="refused"):
        await stack.run()
    assert stack.indices.alias == ["products-v1"] and not stack.indices.swapped
    assert list(stack.indices.by_name) == ["products-v1"]  # the new index deleted


def test_index_names_carry_the_definition_and_the_time() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 7, 3, 4, 5, tzinfo=UTC)
    assert new_index_name("products", 3, at) == "products-v3-20261207030405"


def test_new_indices_are_built_from_the_newest_definition_file() -> None:
    from product_search.adapters.opensearch import (
        INDEX_VERSION,
        definition_versions,
        index_definition,
    )

    assert INDEX_VERSION == definition_versions()[-1] >= 1
    assert index_definition()["mappings"]["_meta"] == {"definition": INDEX_VERSION}
    assert index_definition(1)["mappings"]["dynamic"] == "strict"
