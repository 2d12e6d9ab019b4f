"""Calls to other services through the kit's ServiceClient (registry lookup with a
static fallback, retries for idempotent calls, a circuit breaker per upstream)."""

from __future__ import annotations

import logging

from ecomkit.errors import UpstreamUnavailable
from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable

log = logging.getLogger(__name__)


class HttpUserDirectory:
    """user-auth's GET /api/users/{id}, called with the reviewer's own bearer token."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def exists(self, user_id: int, *, authorization: str) -> bool:
        try:
            response = await self.client.get(
                f"/api/users/{user_id}", headers={"Authorization": authorization}
            )
        except ServiceUnavailable as error:
            raise UpstreamUnavailable("user-auth") from error
        if response.status_code == 404:
            return False
        if response.status_code >= 500:
            raise UpstreamUnavailable("user-auth")
        if response.status_code != 200:
            # 401/403 from user-auth: our caller's token was accepted here, so this is a
            # configuration problem (different secrets), not the caller's fault.
            log.warning("user-auth answered %s for user %s", response.status_code, user_id)
            raise UpstreamUnavailable("user-auth")
        return True


class HttpStockLookup:
    """inventory's GET /api/inventory/{productId}; None while inventory is not running."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def available(self, product_id: int) -> int | None:
        try:
            response = await self.client.get(f"/api/inventory/{product_id}")
        except ServiceUnavailable:
            return None
        if response.status_code == 404:
            return 0
        if response.status_code != 200:
            return None
        body = response.json()
        for name in ("availableQuantity", "available", "quantity"):
            if isinstance(body.get(name), int):
                return int(body[name])
        return None
