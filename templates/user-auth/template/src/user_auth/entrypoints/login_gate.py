"""Logins from an address in its backoff are refused here, before the framework sees them.

The throttle (service_layer.login_throttle) decides; this only remembers, per process, the
addresses it refused and for how long (`RecentlyBlocked`), and answers their next guesses
with the same 429 problem and Retry-After the login route gives, counted in the same RED
metrics. A refusal here is a few dozen microseconds; through the route it was a whole
request (validation, dependencies, a Redis round trip, the problem handler), about 3.5 ms
of the event loop every other user-auth request shares (login_burst, docs/benchmarks.md).

It also gives each address its turn: at most `PER_ADDRESS` of one address's logins are in
the service at once, the others wait here (a few hundred bytes each) and are checked
against the record again when their turn comes. A burst of 50 guesses at once would
otherwise put 50 requests' work on the event loop in the same instant, and every other
user's request behind it; one hashing thread could not check them any faster anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from ecomkit.middleware import HTTP_LATENCY, HTTP_REQUESTS, send_problem
from starlette.types import ASGIApp, Receive, Scope, Send

from user_auth.service_layer.login_throttle import RecentlyBlocked, TooManyAttempts, ip_key

LOGIN_PATH = "/api/auth/login"


def client_ip_of(headers: list[tuple[bytes, bytes]], client: tuple[str, int] | None) -> str:
    """The gateway appends the caller's address as the last X-Forwarded-For header (a
    client's own come before it); a direct call is known by its socket."""
    forwarded = [value for name, value in headers if name == b"x-forwarded-for"]
    if forwarded:
        return forwarded[-1].decode("latin-1").rsplit(",", 1)[-1].strip()
    return client[0] if client else "unknown"


PER_ADDRESS = 2


class LoginGate:
    def __init__(
        self, app: ASGIApp, blocked: RecentlyBlocked, per_address: int = PER_ADDRESS
    ) -> None:
        self.app = app
        self.blocked = blocked
        self.turns = AddressTurns(per_address)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != LOGIN_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        key = ip_key(client_ip_of(scope["headers"], scope.get("client")))
        if await self._refused(key, send, started):
            return
        async with self.turns.turn(key):
            if not await self._refused(key, send, started):  # blocked while it waited?
                await self.app(scope, receive, send)

    async def _refused(self, key: str, send: Send, started: float) -> bool:
        wait = self.blocked.retry_after_s(key)
        if not wait:
            return False
        detail = str(TooManyAttempts(wait))
        headers = {"Retry-After": str(wait)}
        await send_problem(send, 429, "Too Many Requests", detail, instance=LOGIN_PATH,
                           headers=headers)  # fmt: skip
        HTTP_REQUESTS.labels("POST", LOGIN_PATH, "429").inc()
        HTTP_LATENCY.labels("POST", LOGIN_PATH).observe(time.perf_counter() - started)
        return True


class AddressTurns:
    """At most `per_address` holders of one key at once; a key's semaphore lives only while
    someone holds or waits for it, so made-up addresses cannot grow the map."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._turns: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        semaphore, users = self._turns.setdefault(key, (asyncio.Semaphore(self.per_address), [0]))
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._turns[key]

    def __len__(self) -> int:
        return len(self._turns)
