"""The public keys that verify user tokens, fetched from user-auth's JWKS document.

Cached; fetched again when a token names a key id the cache does not know (a rotation)
or when the cache is older than `max_age_s`, but never more often than once per
`min_refresh_s` (1 s), so a flood of tokens with made-up key ids costs user-auth at most
one JWKS request per second per process. `ecomctl keys rotate` publishes a new key
`ecomkit.keys.PUBLISH_LEAD_S` (2 s) before it signs anything, longer than `min_refresh_s`:
a verifier that fetched just before the rotation may fetch again by the time the first
token with the new kid arrives, so no valid token is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from jwt import PyJWK, PyJWKError

log = logging.getLogger(__name__)


def parse_jwks(document: dict[str, Any]) -> dict[str, PyJWK]:
    """Usable keys by kid; a key without kid, of another type or malformed is skipped."""
    found: dict[str, PyJWK] = {}
    for entry in document.get("keys", []):
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not kid or entry.get("kty") != "OKP":
            continue
        try:
            found[kid] = PyJWK(entry, algorithm="EdDSA")
        except PyJWKError:
            log.warning("skipping an unusable key %s in the JWKS document", kid)
    return found


class JwksKeySet:
    """Keys by kid from a JWKS URL (`url`) or a fixed document (`document`, tests)."""

    def __init__(
        self,
        *,
        url: str = "",
        document: dict[str, Any] | None = None,
        min_refresh_s: float = 1.0,
        max_age_s: float = 300.0,
        timeout_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not url and document is None:
            raise ValueError("a JWKS URL or document is required")
        self._url = url
        self._keys = parse_jwks(document) if document is not None else {}
        self._min_refresh_s = min_refresh_s
        self._max_age_s = max_age_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    @classmethod
    def from_json(cls, text: str) -> JwksKeySet:
        return cls(document=json.loads(text))

    async def key(self, kid: str) -> PyJWK | None:
        if self._url and (kid not in self._keys or self._stale()):
            await self._refresh()
        return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self._max_age_s

    async def _refresh(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._fetched_at is not None and now - self._fetched_at < self._min_refresh_s:
                return  # fetched a moment ago (maybe by a concurrent request): keep it
            self._fetched_at = now
            self.fetches += 1
            try:
                async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                    response = await client.get(self._url)
                    response.raise_for_status()
                    self._keys = parse_jwks(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                # Keep the keys we had: user-auth restarting must not log everybody out.
                log.warning("JWKS fetch from %s failed: %s", self._url, exc)
