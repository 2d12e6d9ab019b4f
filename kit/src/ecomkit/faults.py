"""Faults injected on purpose: errors and latency, to prove a bad release is caught.

A canary that answers 30 % errors must make the rollout roll back; `ECOM_FAULTS`
("error_rate=0.3,latency_ms=300,status=503") sets that up at start, `PUT /admin/faults`
(ecomkit.admin) switches it at run time. The middleware sits inside the metrics middleware,
so injected errors and delays are counted like real ones. When no fault is set it costs one
attribute read per request.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from ecomkit.middleware import send_problem

# Probes, scrapes and the switch itself must keep working while faults are on.
EXEMPT_PATHS = frozenset({"/metrics", "/contracts", "/admin/faults", "/admin/consumers"})
EXEMPT_PREFIX = "/health/"


@dataclass(frozen=True)
class _RouteLabel:
    path: str


# The route label an injected error is counted under (the router never saw the request, and
# "unmatched" is the 404s'): http_requests_total{route="injected",status="500"}.
INJECTED = _RouteLabel("injected")


class Faults(BaseModel):
    """What to inject (the body of `PUT /admin/faults`, and ECOM_FAULTS parsed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    status: int = Field(default=500, ge=500, le=599)

    @property
    def active(self) -> bool:
        return self.error_rate > 0 or self.latency_ms > 0

    def describe(self) -> str:
        return f"error_rate={self.error_rate},latency_ms={self.latency_ms},status={self.status}"


def parse_faults(text: str) -> Faults:
    """ECOM_FAULTS ("key=value,..."); a ValueError names the key that is wrong."""
    values: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep:
            raise ValueError(f"ECOM_FAULTS: expected key=value, got {item.strip()!r}")
        if key not in Faults.model_fields:
            known = ", ".join(Faults.model_fields)
            raise ValueError(f"ECOM_FAULTS: unknown key {key!r} (known: {known})")
        values[key] = value
    try:
        return Faults.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0])
        raise ValueError(f"ECOM_FAULTS: {key}={values[key]!r}: {error['msg']}") from None


Sleep = Callable[[float], Awaitable[object]]


class FaultInjector:
    """The faults in force, shared by the middleware and `/admin/faults`. `active` is None
    while nothing is injected: the one thing the middleware reads on the hot path."""

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rng = rng or random.Random()
        self.sleep = sleep
        self.faults = Faults()
        self.active: Faults | None = None
        self.set(faults or Faults())

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self.active = faults if faults.active else None


class FaultInjectionMiddleware:
    """Pure ASGI: delays a request by `latency_ms`, then with probability `error_rate`
    answers a problem+json with `status` instead of handling it."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.injector.active
        if faults is None or scope["type"] != "http" or _exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        if faults.latency_ms:
            await self.injector.sleep(faults.latency_ms / 1000)
        if faults.error_rate and self.injector.rng.random() < faults.error_rate:
            scope["route"] = INJECTED
            await send_problem(
                send,
                faults.status,
                "Injected fault",
                f"injected on purpose (ECOM_FAULTS / PUT /admin/faults: {faults.describe()})",
                instance=scope["path"],
            )
            return
        await self.app(scope, receive, send)


def _exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIX)
