"""user-auth's GET /api/users/{id}, through the kit's ServiceClient (registry lookup,
retries, circuit breaker), with this service's own credential from user-auth (role
SERVICE, audience user-auth; ecomkit.service_credentials) — no user's token is at hand
when an event arrives."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from cachetools import TTLCache
from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable
from ecomkit.service_credentials import ServiceCredential

from notification.domain.errors import UpstreamUnavailable
from notification.domain.model import Contact
from notification.service_layer.ports import UserDirectory

log = logging.getLogger(__name__)


class HttpUserDirectory:
    def __init__(self, client: ServiceClient, token: ServiceCredential) -> None:
        self.client = client
        self.token = token

    async def contact(self, user_id: int) -> Contact | None:
        try:
            response = await self.client.get(
                f"/api/users/{user_id}", headers={"Authorization": await self.token.header()}
            )
        except ServiceUnavailable as error:
            raise UpstreamUnavailable(f"user-auth: {error}") from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            # 401/403: the credential is refused (a configuration problem) — retry, then DLQ.
            raise UpstreamUnavailable(f"user-auth answered {response.status_code}")
        body = response.json()
        preferences = body.get("preferences") or {}
        return Contact(
            user_id=int(body["id"]),
            email=body.get("email"),
            phone=body.get("phone"),
            language=body.get("language") or "en",
            first_name=body.get("firstName"),
            username=body.get("username"),
            email_enabled=bool(preferences.get("emailEnabled", True)),
            sms_enabled=bool(preferences.get("smsEnabled", False)),
        )


class CachedUserDirectory:
    """Remembers each user's contact for `ttl_s`: the events of one order (created, paid,
    payment completed) arrive within a second and would each ask user-auth again.

    A preference changed in user-auth applies to notifications from `ttl_s` later on.
    Concurrent look-ups of one user share a single request; failures are not remembered.
    """

    def __init__(
        self,
        inner: UserDirectory,
        *,
        ttl_s: float,
        maxsize: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._contacts: TTLCache[int, Contact | None] = TTLCache(
            maxsize=maxsize, ttl=ttl_s, timer=timer
        )
        self._pending: dict[int, asyncio.Future[Contact | None]] = {}

    async def contact(self, user_id: int) -> Contact | None:
        if user_id in self._contacts:
            return self._contacts[user_id]
        pending = self._pending.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Contact | None] = asyncio.get_running_loop().create_future()
        self._pending[user_id] = future
        try:
            found = await self._inner.contact(user_id)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        else:
            self._contacts[user_id] = found
            future.set_result(found)
            return found
        finally:
            del self._pending[user_id]
