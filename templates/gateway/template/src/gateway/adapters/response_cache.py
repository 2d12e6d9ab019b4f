"""A short-lived in-process cache of public GET responses.

It only ever holds responses that are the same for everyone (public routes), for a few
seconds; writes through the gateway to the same resource drop the cached entries at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires_at: float


class ResponseCache:
    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, key: str) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, key: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self._entries[key] = CachedResponse(status, headers, body, self._clock() + self.ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate_route(self, route_id: str) -> None:
        """Drop every entry of a route (keys start with `<route id>|`).

        A write may change any view of the upstream's data (a review changes a product's
        rating), so a successful write through the gateway clears the whole route.
        """
        prefix = route_id + "|"
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]
