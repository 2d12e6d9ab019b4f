"""What shoppers search for: the most frequent queries and those that found nothing, per
hour, kept for a day (`ecomctl search top`). Plain Python; the store is a port."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

KEPT_HOURS = 25  # a bucket outlives the day `top` reads by one hour
# Distinct queries kept per hour and kind; the rarest go first, so memory stays bounded
# however many different queries arrive (a bot, a fuzzer).
MAX_QUERIES_PER_HOUR = 2000
MAX_QUERY_CHARS = 100
_SPACES = re.compile(r"\s+")


def normalized(text: str) -> str:
    """One spelling per query: case and spacing do not make a new one."""
    return _SPACES.sub(" ", text).strip().lower()[:MAX_QUERY_CHARS]


def hour_of(at: datetime) -> str:
    return at.strftime("%Y%m%d%H")


def hours_back(now: datetime, hours: int) -> list[str]:
    """The buckets of the last `hours` hours, this one included."""
    return [hour_of(now - timedelta(hours=n)) for n in range(hours)]


@dataclass(frozen=True)
class QueryCount:
    query: str
    count: int


@dataclass(frozen=True)
class TopQueries:
    hours: int
    searches: int  # searches counted in those hours (first pages with text)
    frequent: list[QueryCount] = field(default_factory=list)
    zero_results: list[QueryCount] = field(default_factory=list)


def summed(buckets: Iterable[Iterable[tuple[str, float]]], limit: int) -> list[QueryCount]:
    """The hourly counts added up, most frequent first (ties: alphabetical)."""
    total: Counter[str] = Counter()
    for bucket in buckets:
        for query, count in bucket:
            total[query] += int(count)
    ranked = sorted(total.items(), key=lambda item: (-item[1], item[0]))
    return [QueryCount(query, count) for query, count in ranked[:limit]]
