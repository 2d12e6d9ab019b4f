"""What the gateway decides before a request may go upstream: who calls, and how often.

Plain Python over two ports (a token verifier and a rate limiter) so the policy is tested
with fakes and stays independent of the server that carries the bytes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from gateway.domain.identity import Identity, InvalidToken, RevocationCheck, TokenVerifier
from gateway.domain.ratelimit import Limit, RateLimiter
from gateway.domain.routes import Route


class Rejected(Exception):
    """The request is refused at the edge with this status (rendered as problem+json)."""

    def __init__(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}


@dataclass
class EdgePolicy:
    verify: TokenVerifier
    limiter: RateLimiter
    ip_limit: Limit
    user_limit: Limit
    rate_limit_enabled: bool = True
    check_revoked: RevocationCheck | None = None
    # Per IP on a route's sensitive paths (/api/auth/*), on top of `ip_limit`.
    sensitive_ip_limit: Limit | None = None

    async def identify(
        self, route: Route, method: str, path: str, authorization: str | None
    ) -> Identity | None:
        """The caller's identity; None for an anonymous call to a public route."""
        public = route.is_public(method, path)
        if authorization is None:
            if public:
                return None
            raise Rejected(401, "Unauthorized", "a bearer token is required", _challenge())
        try:
            identity = await self.verify(authorization)
            if not public and self.check_revoked is not None:
                # Protected routes only: a public page needs no identity (it keys the rate
                # limit), and one Redis round trip per cached public GET would cost more
                # than the answer. The upstream checks revocation itself anyway.
                await self.check_revoked(identity)
            return identity
        except InvalidToken as exc:
            if public:
                # A stale token on a public page should not lock anyone out of the catalogue.
                return None
            raise Rejected(401, "Unauthorized", str(exc), _challenge()) from exc

    async def authorize_operator(self, authorization: str | None, scrape_token: str = "") -> None:
        """The gateway's own operator pages (routes and their instances, metrics, API docs)
        are for ADMIN only; `scrape_token` (Prometheus's) opens `/metrics` alone."""
        if authorization is None:
            raise Rejected(401, "Unauthorized", "an ADMIN bearer token is required", _challenge())
        if scrape_token and hmac.compare_digest(
            authorization.encode(), f"Bearer {scrape_token}".encode()
        ):
            return
        try:
            identity = await self.verify(authorization)
        except InvalidToken as exc:
            raise Rejected(401, "Unauthorized", str(exc), _challenge()) from exc
        if "ADMIN" not in identity.roles:
            raise Rejected(403, "Forbidden", "requires role ADMIN")

    async def throttle(
        self, route: Route, path: str, client_ip: str, identity: Identity | None
    ) -> None:
        if not (self.rate_limit_enabled and route.rate_limited):
            return
        buckets = [(f"ip:{client_ip}", self.ip_limit)]
        if self.sensitive_ip_limit is not None and route.sensitive.matches(path):
            buckets.append((f"auth-ip:{client_ip}", self.sensitive_ip_limit))
        if identity is not None:
            buckets.append((f"user:{identity.user_id}", self.user_limit))
        decision = await self.limiter.acquire(buckets)
        if not decision.allowed:
            raise Rejected(
                429,
                "Too Many Requests",
                f"rate limit exceeded; retry in {decision.retry_after_s} s",
                {"Retry-After": str(decision.retry_after_s)},
            )


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="api"'}
