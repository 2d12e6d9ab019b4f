"""user-auth's GET /api/users/{id}, through the kit's ServiceClient (registry lookup,
retries, circuit breaker), with a short-lived service token this service mints itself
(role SERVICE, signed with the platform's JWT secret) — no user's token is at hand when
an event arrives."""

from __future__ import annotations

import logging
import time

from ecomkit.auth import TokenIssuer
from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable

from notification.domain.errors import UpstreamUnavailable
from notification.domain.model import Contact

log = logging.getLogger(__name__)

SERVICE_USER_ID = 0  # no account: the token only says "the notification service"


class ServiceToken:
    def __init__(self, issuer: TokenIssuer, service_name: str) -> None:
        self._issuer = issuer
        self._name = service_name
        self._token = ""
        self._renew_at = 0.0

    def header(self) -> str:
        now = time.monotonic()
        if now >= self._renew_at:
            self._token = self._issuer.issue_access(SERVICE_USER_ID, self._name, ["SERVICE"])
            self._renew_at = now + self._issuer.access_ttl.total_seconds() / 2
        return f"Bearer {self._token}"


class HttpUserDirectory:
    def __init__(self, client: ServiceClient, token: ServiceToken) -> None:
        self.client = client
        self.token = token

    async def contact(self, user_id: int) -> Contact | None:
        try:
            response = await self.client.get(
                f"/api/users/{user_id}", headers={"Authorization": self.token.header()}
            )
        except ServiceUnavailable as error:
            raise UpstreamUnavailable(f"user-auth: {error}") from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            # 401/403: the secrets differ (a configuration problem) — retry, then DLQ.
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
