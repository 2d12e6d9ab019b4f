"""Where each service lives: the registry's instances, cached, with a static fallback.

The request path never waits for the registry: a background task re-reads every service's
instances every few seconds; a lookup is a dict read. When the registry is unreachable the
last known instances stay in use; a service the registry has never listed goes to its
static URL from ECOM_UPSTREAMS.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ecomkit.upstream_pool import Origin, UpstreamError, UpstreamPool

from gateway.domain.balancing import Instance, choose, choose_preview

log = logging.getLogger(__name__)

# Returns {service: [Instance, ...]} for every service the registry knows.
InstanceSource = Callable[[], Awaitable[dict[str, list[Instance]]]]


class RegistryUnavailable(Exception):
    pass


def registry_source(pool: UpstreamPool, registry_url: str) -> InstanceSource:
    origin = Origin.parse(registry_url)
    path = "/api/registry/services"

    async def fetch() -> dict[str, list[Instance]]:
        async with asyncio.timeout(2.0):
            response = await pool.request("GET", origin, path, [(b"accept", b"application/json")])
            body = await response.read()
        if response.status != 200:
            raise RegistryUnavailable(f"the registry answered {response.status}")
        document: dict[str, Any] = json.loads(body)
        return {
            service: [
                instance
                for raw in instances
                if raw.get("status", "UP") == "UP" and (instance := instance_of(service, raw))
            ]
            for service, instances in document.get("services", {}).items()
        }

    return fetch


def instance_of(service: str, raw: Any) -> Instance | None:
    """One listed instance, or None (with a warning) when it cannot be routed to: a bad
    entry must cost that entry, never the route (a 500) or the whole refresh."""
    try:
        url = str(raw["url"]).rstrip("/")
        if not routable_url(url):
            raise ValueError(f"not an http(s)://host:port URL: {url[:100]!r}")
        return Instance(
            url=url,
            instance_id=str(raw.get("instance_id", "")),
            weight=int(raw.get("weight", 100)),
            color=str((raw.get("metadata") or {}).get("color", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("ignoring an instance of %s the registry listed: %s", service, exc)
        return None


def routable_url(url: str) -> bool:
    """`http(s)://host[:port]` and nothing else (what `Origin.parse` can route to)."""
    try:
        urlsplit(url).port  # noqa: B018 (a port that is not a number raises)
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not (parts.query or parts.fragment or parts.username or parts.password)
    )


class UpstreamResolver:
    def __init__(
        self,
        static: Mapping[str, str],
        source: InstanceSource | None = None,
        *,
        refresh_s: float = 5.0,
    ) -> None:
        self._static = {name: [Instance(url=url.rstrip("/"))] for name, url in static.items()}
        self.source = source
        self._refresh_s = refresh_s
        self._known: dict[str, list[Instance]] = {}

    def instances(self, service: str) -> list[Instance]:
        return self._known.get(service) or self._static.get(service, [])

    def pick(
        self, service: str, *, avoid: str | None = None, color: str | None = None
    ) -> Instance | None:
        """A weighted choice, preferring another instance than `avoid` (a retry). With a
        `color` (a preview) only that color's instances, if there are any."""
        candidates = self.instances(service)
        if color is not None:
            preview = [i for i in candidates if i.color == color]
            if preview:
                return choose_preview(_avoiding(preview, avoid))
        return choose(_avoiding(candidates, avoid))

    async def refresh(self) -> None:
        if self.source is None:
            return
        try:
            found = await self.source()
        except (UpstreamError, RegistryUnavailable, TimeoutError, ValueError) as exc:
            log.warning("registry unreachable, keeping the last known upstreams: %s", exc)
            return
        self._known = {service: found_ for service, found_ in found.items() if found_}

    async def run(self) -> None:
        """Refresh forever (a background task for the app's lifetime)."""
        while True:
            await self.refresh()
            await asyncio.sleep(self._refresh_s)


def _avoiding(candidates: list[Instance], url: str | None) -> list[Instance]:
    if url is None or len(candidates) < 2:
        return candidates
    return [i for i in candidates if i.url != url] or candidates
