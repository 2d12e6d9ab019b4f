"""Bulk writes: concurrent changes share one request; an outage is waited out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from product_search.adapters.bulk import BulkWriter
from product_search.domain.documents import IndexChange
from product_search.domain.errors import IndexRejected, SearchUnavailable


def change(n: int) -> IndexChange:
    return IndexChange(n, "stock", 1, {"in_stock": True})


@pytest.mark.anyio
async def test_concurrent_writes_share_one_bulk_request() -> None:
    batches: list[int] = []

    async def flush(changes: Sequence[IndexChange]) -> list[Exception | None]:
        batches.append(len(changes))
        return [None] * len(changes)

    writer = BulkWriter(flush, linger_s=0.01, max_actions=100)
    await asyncio.gather(*(writer.write(change(n)) for n in range(10)))
    assert batches == [10]


@pytest.mark.anyio
async def test_unavailable_is_retried_and_rejections_are_raised() -> None:
    calls = 0

    async def flush(changes: Sequence[IndexChange]) -> list[Exception | None]:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise SearchUnavailable("down")
        return [IndexRejected("mapping")] + [None] * (len(changes) - 1)

    writer = BulkWriter(flush, linger_s=0.0, max_actions=2, max_backoff_s=0.01)
    outcomes = await asyncio.gather(
        writer.write(change(1)), writer.write(change(2)), return_exceptions=True
    )
    assert isinstance(outcomes[0], IndexRejected) and outcomes[1] is None and calls == 3
