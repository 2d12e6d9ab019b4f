"""A service's own credential for calling another service: obtained from user-auth with
the client-credentials grant (this service's name and secret, the callee as audience),
instead of minting a token with a secret every service would share.

A compromised service can then act only as itself, towards the services it may call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable

TOKEN_PATH = "/api/auth/token"


class ServiceCredential:
    """A bearer header for calls to `audience`, renewed at half its lifetime."""

    def __init__(
        self,
        auth: ServiceClient,
        *,
        client_id: str,
        client_secret: str,
        audience: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._auth = auth
        self._body = {"clientId": client_id, "clientSecret": client_secret, "audience": audience}
        self._clock = clock
        self._token = ""
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def header(self) -> str:
        if self._clock() >= self._renew_at:
            async with self._lock:
                if self._clock() >= self._renew_at:
                    await self._renew()
        return f"Bearer {self._token}"

    async def _renew(self) -> None:
        if not self._body["clientSecret"]:
            raise ServiceUnavailable(
                f"{self._body['clientId']}: ECOM_CLIENT_SECRET is not set, cannot call "
                f"{self._body['audience']}"
            )
        response = await self._auth.post(TOKEN_PATH, json=self._body)
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"user-auth refused this service's credential ({response.status_code})"
            )
        body = response.json()
        self._token = str(body["accessToken"])
        self._renew_at = self._clock() + float(body.get("expiresIn", 60)) / 2
