"""A short-lived in-process cache of public GET responses.

It only ever holds responses that are the same for everyone (public routes), for a few
seconds; writes through the gateway to the same resource drop the cached entries at once.
Its memory is bounded by entries and by bytes, and every write first drops what expired,
so a caller varying a query parameter cannot make it grow (docs/security.md).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires_at: float

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class ResponseCache:
    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int,
        max_bytes: int = 32 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        # Oldest first; one TTL for all, so also the order in which entries expire.
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self.bytes = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, key: str) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._drop(key)
            return None
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        now = self._clock()
        self._purge_expired(now)
        entry = CachedResponse(status, headers, body, now + self.ttl_s)
        if entry.size > self._max_bytes:
            return
        self._drop(key)
        self._entries[key] = entry
        self.bytes += entry.size
        while len(self._entries) > self._max or self.bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _purge_expired(self, now: float) -> None:
        while self._entries:
            oldest = next(iter(self._entries))
            if self._entries[oldest].expires_at > now:
                return
            self._drop(oldest)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size

    def invalidate_route(self, route_id: str) -> None:
        """Drop every entry of a route (keys start with `<route id>|`).

        A write may change any view of the upstream's data (a review changes a product's
        rating), so a successful write through the gateway clears the whole route.
        """
        prefix = route_id + "|"
        for key in [k for k in self._entries if k.startswith(prefix)]:
            self._drop(key)


def normalised_query(query: bytes) -> str:
    """One key for every spelling of the same query: parameters sorted by name (repeated
    ones keep their order), percent-encoding made uniform."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda pair: pair[0]))
