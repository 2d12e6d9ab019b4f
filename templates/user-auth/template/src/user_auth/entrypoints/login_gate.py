"""Logins from an address in its backoff are refused here, before the framework sees them.

The throttle (service_layer.login_throttle) decides; this only remembers, per process, the
addresses it refused and for how long (`RecentlyBlocked`), and answers their next guesses
with the same 429 problem and Retry-After the login route gives, counted in the same RED
metrics. A refusal here is a few dozen microseconds; through the route it was a whole
request (validation, dependencies, a Redis round trip, the problem handler), about 3.5 ms
of the event loop every other user-auth request shares (login_burst, docs/benchmarks.md).
"""

from __future__ import annotations

import time

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


class LoginGate:
    def __init__(self, app: ASGIApp, blocked: RecentlyBlocked) -> None:
        self.app = app
        self.blocked = blocked

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == LOGIN_PATH and scope["method"] == "POST":
            started = time.perf_counter()
            address = client_ip_of(scope["headers"], scope.get("client"))
            wait = self.blocked.retry_after_s(ip_key(address))
            if wait:
                await self._refuse(send, wait)
                HTTP_REQUESTS.labels("POST", LOGIN_PATH, "429").inc()
                HTTP_LATENCY.labels("POST", LOGIN_PATH).observe(time.perf_counter() - started)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(send: Send, wait: int) -> None:
        detail = str(TooManyAttempts(wait))
        headers = {"Retry-After": str(wait)}
        await send_problem(send, 429, "Too Many Requests", detail, instance=LOGIN_PATH,
                           headers=headers)  # fmt: skip
