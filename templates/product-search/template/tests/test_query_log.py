"""The in-memory query log passes the contract the Redis one passes; the search handler
counts first pages with text, once each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from product_search.adapters.query_log import MemoryQueryLog
from product_search.bootstrap import bootstrap
from product_search.domain.analytics import normalized
from product_search.domain.search import SearchProducts
from product_search.settings import Settings
from tests.contracts import QueryLogContract
from tests.fakes import FakeSearchIndex


class TestMemoryQueryLog(QueryLogContract):
    @pytest.fixture
    def queries(self) -> MemoryQueryLog:
        return MemoryQueryLog()


def test_a_query_is_counted_in_one_spelling() -> None:
    assert normalized("  Blue   SHIRT\t") == "blue shirt"
    assert len(normalized("x" * 500)) == 100


@pytest.mark.anyio
async def test_searches_are_counted_once_with_their_result() -> None:
    queries = MemoryQueryLog()
    bus = bootstrap(Settings(), index=FakeSearchIndex(), queries=queries)
    await bus.handle(SearchProducts(q="Nothing Here"))
    await bus.handle(SearchProducts(q="nothing here", page=2))  # a page turned: not again
    await bus.handle(SearchProducts(q=""))  # browsing: no query
    found = await queries.top(datetime.now(UTC), 24, 10)
    assert found.searches == 1
    assert [(c.query, c.count) for c in found.zero_results] == [("nothing here", 1)]


@pytest.mark.anyio
async def test_redis_away_costs_a_search_only_its_count(caplog: pytest.LogCaptureFixture) -> None:
    from product_search.adapters.query_log import RedisQueryLog

    queries = RedisQueryLog.from_url("redis://127.0.0.1:1/0", "test")  # nothing listens
    try:
        for _ in range(3):
            await queries.record("lamp", 1, datetime.now(UTC))  # no error
    finally:
        await queries.close()
    assert len([r for r in caplog.records if "not counted" in r.message]) == 1
