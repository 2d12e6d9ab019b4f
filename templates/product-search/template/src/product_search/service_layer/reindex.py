"""A reindex without downtime and without losing a write (`ecomctl search reindex`).

1. Note where the indexer's consumer group stands in Kafka (`start`): every event before
   it is in the serving index already.
2. Build a new index from the newest definition file: the stock part of each serving
   document (the inventory's figures are in no database the catalog can read), then every
   product and review from one snapshot of the catalog's database.
3. Catch up: the events from `start` to the end of the topics now (`middle`). Old ones
   change nothing (each part is written only over an older version), newer ones land.
4. Swap the alias in one request: searches answer from the old index until then, from the
   new one after, never from none.
5. Catch up again from `middle` to the end after the swap: the events the running indexer
   wrote into the old index meanwhile. Anything produced after that end is consumed after
   the swap, so the indexer writes it through the alias into the new index.

A failure before the swap deletes the new index and leaves the serving one untouched.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ecomkit.contracts import ContractError
from ecomkit.events import Envelope

from product_search.domain.documents import IndexChange

CHUNK = 500


class Indices(Protocol):
    async def serving(self) -> list[str]: ...
    async def create(self, index: str, version: int) -> None: ...
    async def delete(self, index: str) -> None: ...
    def stock_parts(self, index: str) -> AsyncIterator[IndexChange]: ...
    async def swap(self, old: list[str], new: str) -> None: ...


class CatalogSnapshot(Protocol):
    def changes(self) -> AsyncIterator[IndexChange]: ...


class Events(Protocol):
    async def committed(self) -> Any: ...
    async def ends(self) -> Any: ...
    def between(self, start: Any, end: Any) -> AsyncIterator[Envelope]: ...


# Writes changes into the named index; per change None or why it was refused.
WriteTo = Callable[[str, Sequence[IndexChange]], Awaitable[list[Exception | None]]]
ChangeOf = Callable[[Envelope], IndexChange | None]


class ReindexFailed(Exception):
    """The reindex stopped; the message says where and whether the alias moved."""


@dataclass(frozen=True)
class ReindexParts:
    indices: Indices
    catalog: CatalogSnapshot
    events: Events
    write_to: WriteTo
    change_of: ChangeOf


@dataclass(frozen=True)
class ReindexReport:
    alias: str
    index: str  # the new index, now behind the alias
    previous: list[str]  # what the alias pointed at before (kept, for a way back)
    definition: int  # the definition file's version it was built from
    stock_copied: int
    from_catalog: int
    caught_up: int  # events applied before the swap
    after_swap: int  # events applied after it
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def new_index_name(alias: str, definition: int, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    return f"{alias}-v{definition}-{stamp}"


async def reindex(
    parts: ReindexParts,
    *,
    alias: str,
    definition: int,
    progress: Callable[[str], None] = lambda _line: None,
) -> ReindexReport:
    began = time.monotonic()
    previous = await parts.indices.serving()
    start = await parts.events.committed()  # before anything is read: see step 1
    new = new_index_name(alias, definition)
    await parts.indices.create(new, definition)
    progress(f"building {new} (definition v{definition}); serving: {', '.join(previous) or '-'}")
    try:
        copied = 0
        for old in previous:
            copied += await _write_all(parts, new, parts.indices.stock_parts(old))
        progress(f"stock of {copied} products copied")
        from_catalog = await _write_all(parts, new, parts.catalog.changes())
        progress(f"{from_catalog} products and reviews from the catalog's database")
        middle = await parts.events.ends()
        caught_up = await _write_all(parts, new, _changes(parts, start, middle))
        progress(f"{caught_up} events since the indexer's position applied")
    except BaseException:
        await parts.indices.delete(new)
        raise
    await parts.indices.swap(previous, new)
    progress(f"alias {alias} -> {new}")
    try:
        after = await _write_all(parts, new, _changes(parts, middle, await parts.events.ends()))
    except Exception as error:
        raise ReindexFailed(
            f"the alias moved to {new}, but the events written meanwhile were not all applied"
            f" ({error}); run the reindex again"
        ) from error
    return ReindexReport(
        alias, new, previous, definition, copied, from_catalog, caught_up, after,
        round(time.monotonic() - began, 3),
    )  # fmt: skip


async def _changes(parts: ReindexParts, start: Any, end: Any) -> AsyncIterator[IndexChange]:
    async for envelope in parts.events.between(start, end):
        try:
            change = parts.change_of(envelope)
        except ContractError:
            continue  # unreadable: the indexer sent it to its DLQ
        if change is not None:
            yield change


async def _write_all(parts: ReindexParts, index: str, changes: AsyncIterator[IndexChange]) -> int:
    written, chunk = 0, []
    async for change in changes:
        chunk.append(change)
        if len(chunk) == CHUNK:
            written += await _write(parts, index, chunk)
            chunk = []
    if chunk:
        written += await _write(parts, index, chunk)
    return written


async def _write(parts: ReindexParts, index: str, chunk: list[IndexChange]) -> int:
    outcomes = await parts.write_to(index, chunk)
    refused = [(change, error) for change, error in zip(chunk, outcomes, strict=True) if error]
    if refused:
        change, error = refused[0]
        raise ReindexFailed(
            f"{len(refused)} changes refused by {index}, first product {change.product_id}: {error}"
        )
    return len(chunk)
