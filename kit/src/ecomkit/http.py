"""Calls from one service to another: discovery, retries, a circuit breaker per upstream.

The base URL comes from the registry (cached briefly) with the static `ECOM_UPSTREAMS` map as
fallback. Idempotent methods are retried on connect errors and 502/503/504 with backoff;
every failure (connect error, timeout, 5xx) counts toward the upstream's breaker, and an
open breaker answers at once with `ServiceUnavailable` instead of waiting on a sick service.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import httpx
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from ecomkit.context import current_correlation_id
from ecomkit.problems import ServiceUnavailable
from ecomkit.registry_client import Instance, Registry
from ecomkit.settings import ServiceSettings
from ecomkit.tracing import current_trace_headers

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
DISCOVERY_TTL_S = 5.0


class UpstreamFailed(Exception):
    """A 5xx answer, raised inside the breaker so it counts as a failure."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.request.url} -> {response.status_code}"
        )
        self.response = response


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return True
    return isinstance(exc, UpstreamFailed) and exc.response.status_code in RETRY_STATUSES


class ServiceClient:
    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        *,
        registry: Registry | None = None,
        timeout_s: float = 2.0,
        retries: int = 2,
        breaker_failures: int = 5,
        breaker_reset_s: float = 10,
        backoff_s: float = 0.1,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self._static_url = settings.upstreams.get(name)
        self._registry = registry
        self._retries = retries
        self._backoff_s = backoff_s
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=breaker_failures, default_ttl=breaker_reset_s
        )
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)
        self._cached: tuple[float, list[Instance]] | None = None

    async def base_url(self) -> str:
        """An instance's URL (weighted choice), else the static upstream, else 503."""
        instances = [i for i in await self._discover() if i.routable]
        if instances:
            chosen = random.choices(instances, weights=[i.weight for i in instances])[0]
            return chosen.url.rstrip("/")
        if self._static_url:
            return self._static_url.rstrip("/")
        raise ServiceUnavailable(f"no instance of {self.name} is known")

    async def _discover(self) -> list[Instance]:
        if self._registry is None:
            return []
        now = time.monotonic()
        if self._cached and now - self._cached[0] < DISCOVERY_TTL_S:
            return self._cached[1]
        try:
            instances = await self._registry.instances(self.name)
        except Exception as exc:  # the registry being down must not take callers down
            log.warning("registry lookup of %s failed: %s", self.name, exc)
            return self._cached[1] if self._cached else []
        self._cached = (now, instances)
        return instances

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The upstream's response (any status below 500 is returned, not raised)."""
        method = method.upper()
        attempts = self._retries + 1 if method in IDEMPOTENT else 1
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=self._backoff_s, max=2.0),
                retry=retry_if_exception(_retryable),
                reraise=True,
            ):
                with attempt:
                    return await self._send_once(method, path, **kwargs)
        except UpstreamFailed as exc:
            return exc.response
        except OpenedState as exc:
            raise ServiceUnavailable(f"{self.name} is failing; circuit open") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"{self.name} unreachable: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")  # pragma: no cover - tenacity always returns/raises

    async def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{await self.base_url()}/{path.lstrip('/')}"
        headers = {**self._propagated_headers(), **kwargs.pop("headers", {})}
        breaker = await self._breakers.get_breaker(self.name)
        async with breaker:
            response = await self._http.request(method, url, headers=headers, **kwargs)
            if response.status_code >= 500:
                await response.aread()
                raise UpstreamFailed(response)
        return response

    @staticmethod
    def _propagated_headers() -> dict[str, str]:
        headers = current_trace_headers()
        correlation_id = current_correlation_id()
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        return headers

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def aclose(self) -> None:
        await self._http.aclose()
