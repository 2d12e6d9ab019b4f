"""Calls from one service to another: discovery, retries, a circuit breaker per upstream.

The base URL comes from the registry (cached briefly) with the static `ECOM_UPSTREAMS` map as
fallback. Idempotent methods are retried on connection failures and 502/503/504 with
backoff; every failure (connect error, timeout, 5xx) counts toward the upstream's breaker,
and an open breaker answers at once with `ServiceUnavailable` instead of waiting on a sick
service. Requests go over the kit's keep-alive pool (`ecomkit.upstream_pool`), not a
general client: these are small JSON calls, and httpx's own layers cost more CPU than the
call itself.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

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
from ecomkit.tracing import Leaf, call_span, current_trace_headers
from ecomkit.upstream_pool import (
    Origin,
    UpstreamConnectTimeout,
    UpstreamError,
    UpstreamPool,
    UpstreamTimeout,
)

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
DISCOVERY_TTL_S = 5.0


@dataclass(frozen=True)
class ServiceResponse:
    """An upstream's answer, read whole (header names lower-case)."""

    status_code: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class UpstreamFailed(Exception):
    """A 5xx answer, raised inside the breaker so it counts as a failure."""

    def __init__(self, method: str, response: ServiceResponse) -> None:
        super().__init__(f"{method} {response.url} -> {response.status_code}")
        self.response = response


def _retryable(exc: BaseException) -> bool:
    # A broken or refused connection, or none within the connect timeout: the request did
    # not get an answer, so an idempotent one may go again. A read timeout is not retried.
    if isinstance(exc, UpstreamError | UpstreamConnectTimeout):
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
    ) -> None:
        self.name = name
        self._static_url = settings.upstreams.get(name)
        self._registry = registry
        self._retries = retries
        self._backoff_s = backoff_s
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=breaker_failures, default_ttl=breaker_reset_s
        )
        # Idle connections are dropped before uvicorn's 5 s keep-alive would close them.
        self._pool = UpstreamPool(
            connect_timeout_s=timeout_s,
            read_timeout_s=timeout_s,
            max_idle_per_origin=64,
            idle_timeout_s=4.0,
        )
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

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
    ) -> ServiceResponse:
        """The upstream's response (any status below 500 is returned, not raised)."""
        method = method.upper()
        body = content
        # Header names are case-insensitive: lower-cased once, so a caller's `x-correlation-id`
        # replaces the propagated one instead of going out next to it.
        extra = {name.lower(): value for name, value in (headers or {}).items()}
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
            extra.setdefault("content-type", "application/json")
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        attempts = self._retries + 1 if method in IDEMPOTENT else 1
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=self._backoff_s, max=2.0),
                retry=retry_if_exception(_retryable),
                reraise=True,
            ):
                with attempt:
                    return await self._send_once(method, path + query, extra, body)
        except UpstreamFailed as exc:
            return exc.response
        except OpenedState as exc:
            raise ServiceUnavailable(f"{self.name} is failing; circuit open") from exc
        except (UpstreamError, UpstreamTimeout) as exc:
            raise ServiceUnavailable(f"{self.name} unreachable: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover - tenacity always returns/raises

    async def _send_once(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> ServiceResponse:
        base = await self.base_url()
        url = f"{base}/{target.lstrip('/')}"
        path = "/" + url.split("://", 1)[-1].partition("/")[2]  # what follows host:port
        # One client span per attempt (a retry shows as a second one); the callee's server
        # span is its child through the traceparent sent below.
        with call_span(
            f"{method} {self.name}",
            **{"http.request.method": method, "url.full": url, "peer.service": self.name},
        ) as span:
            merged = {name.lower(): value for name, value in self._propagated_headers(span).items()}
            merged.update(headers)  # already lower-case (request)
            pairs = [(name.encode(), value.encode()) for name, value in merged.items()]
            breaker = await self._breakers.get_breaker(self.name)
            async with breaker:
                upstream = await self._pool.request(method, Origin.parse(base), path, pairs, body)
                response = ServiceResponse(
                    status_code=upstream.status,
                    content=await upstream.read(),
                    headers={k.decode("latin-1"): v.decode("latin-1") for k, v in upstream.headers},
                    url=url,
                )
                span.set_attribute("http.response.status_code", response.status_code)
                if response.status_code >= 500:
                    raise UpstreamFailed(method, response)
        return response

    @staticmethod
    def _propagated_headers(span: Leaf) -> dict[str, str]:
        traceparent = span.traceparent()  # None: no recording span, the caller's context goes
        headers = {"traceparent": traceparent} if traceparent else current_trace_headers()
        correlation_id = current_correlation_id()
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        return headers

    async def get(self, path: str, **kwargs: Any) -> ServiceResponse:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> ServiceResponse:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> ServiceResponse:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> ServiceResponse:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> ServiceResponse:
        return await self.request("DELETE", path, **kwargs)

    async def aclose(self) -> None:
        await self._pool.close()


def service_client(name: str, settings: ServiceSettings, **options: Any) -> ServiceClient:
    """A client of service `name`: found through the registry when ECOM_REGISTRY_URL is set
    (this service's own registration is the kit app's), else at ECOM_UPSTREAMS[name]."""
    from ecomkit.registry_client import RegistryClient

    registry = None
    if settings.registry_url:
        registry = RegistryClient(
            settings.registry_url, settings.service_name, settings.host, settings.port
        )
    return ServiceClient(name, settings, registry=registry, **options)
