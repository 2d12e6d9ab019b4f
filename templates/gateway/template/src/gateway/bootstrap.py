"""Wires the gateway from settings; tests pass fakes for the token verifier, the rate
limiter and the instance source."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ecomkit.upstream_pool import UpstreamPool

from gateway.adapters.response_cache import ResponseCache
from gateway.adapters.upstreams import InstanceSource, UpstreamResolver
from gateway.domain.breaker import CircuitBreaker, State
from gateway.domain.connections import ConnectionLimit
from gateway.domain.identity import (
    Identity,
    InvalidToken,
    RevocationCheck,
    TokenVerifier,
    VerifiedTokens,
)
from gateway.domain.ratelimit import InMemoryTokenBucket, Limit, NoRateLimit, RateLimiter
from gateway.domain.routes import RouteTable, load_routes
from gateway.entrypoints import metrics
from gateway.entrypoints.proxy import Proxy, ProxyOptions
from gateway.entrypoints.ws_proxy import WebSocketOptions, WebSocketProxy
from gateway.service_layer.edge import EdgePolicy
from gateway.settings import Settings


@dataclass
class Gateway:
    proxy: Proxy
    resolver: UpstreamResolver
    limiter: RateLimiter
    websockets: WebSocketProxy
    ping_limiter: Callable[[], Awaitable[None]] | None = None


def bootstrap(
    settings: Settings,
    *,
    verify: TokenVerifier | None = None,
    limiter: RateLimiter | None = None,
    source: InstanceSource | None = None,
    routes: RouteTable | None = None,
) -> Gateway:
    routes = routes or load_routes(settings.gateway_routes_file)
    if limiter is None:
        limiter = default_limiter(settings)
    resolver = UpstreamResolver(
        settings.upstreams, source, refresh_s=settings.gateway_registry_refresh_s
    )
    check_revoked = None
    if verify is None:
        verify, check_revoked = kit_verifier(settings)
        if not settings.gateway_revocation_check:
            check_revoked = None  # the services still check; see Settings
    policy = EdgePolicy(
        verify=verify,
        check_revoked=check_revoked,
        limiter=limiter,
        ip_limit=Limit(settings.gateway_rate_per_ip_per_s, settings.gateway_burst_per_ip),
        user_limit=Limit(settings.gateway_rate_per_user_per_s, settings.gateway_burst_per_user),
        sensitive_ip_limit=Limit(
            settings.gateway_auth_rate_per_ip_per_s, settings.gateway_auth_burst_per_ip
        ),
        rate_limit_enabled=settings.gateway_rate_limit_enabled,
    )
    breakers = {
        route.id: CircuitBreaker(
            route.id,
            failure_threshold=settings.gateway_breaker_failures,
            reset_after_s=settings.gateway_breaker_reset_s,
        )
        for route in routes.routes
    }
    metrics.watch_breakers(
        {
            route_id: (lambda b=breaker: b.state is not State.CLOSED)  # type: ignore[misc]
            for route_id, breaker in breakers.items()
        }
    )
    proxy = Proxy(
        routes=routes,
        policy=policy,
        resolver=resolver,
        breakers=breakers,
        cache=ResponseCache(
            ttl_s=settings.gateway_cache_ttl_s,
            max_entries=settings.gateway_cache_max_entries,
            max_bytes=settings.gateway_cache_max_bytes,
        ),
        options=ProxyOptions(
            max_body_bytes=settings.max_body_bytes,
            retries=settings.gateway_retries,
            retry_backoff_s=settings.gateway_retry_backoff_s,
            cache_max_body_bytes=settings.gateway_cache_max_body_bytes,
        ),
    )
    websockets = WebSocketProxy(
        routes=routes,
        policy=policy,
        resolver=resolver,
        limit=ConnectionLimit(settings.gateway_ws_max_per_user),
        options=WebSocketOptions(
            idle_timeout_s=settings.gateway_ws_idle_timeout_s,
            open_timeout_s=settings.gateway_ws_open_timeout_s,
            first_message_timeout_s=settings.gateway_ws_auth_timeout_s,
        ),
    )
    ping = getattr(limiter, "ping", None)
    return Gateway(
        proxy=proxy, resolver=resolver, limiter=limiter, websockets=websockets, ping_limiter=ping
    )


def default_limiter(settings: Settings) -> RateLimiter:
    if not settings.gateway_rate_limit_enabled:
        return NoRateLimit()
    if not settings.redis_url:
        return InMemoryTokenBucket()
    from ecomkit.redis_client import request_path_redis

    from gateway.adapters.redis_ratelimit import RedisTokenBucket

    redis = request_path_redis(settings.redis_url)
    return RedisTokenBucket(redis)


def kit_verifier(settings: Settings) -> tuple[TokenVerifier, RevocationCheck]:
    """The kit's checks behind the gateway's two ports: EdDSA via user-auth's JWKS, exp,
    iss, aud, typ; and the Redis revocation denylist. A token verified once skips the
    signature check until it expires (bounded LRU); revocation is asked of Redis on every
    protected request, so a logout takes effect at once."""
    from ecomkit.auth import verifier_from_settings
    from ecomkit.problems import ServiceUnavailable, Unauthorized

    kit = verifier_from_settings(settings)
    verified = VerifiedTokens()

    async def verify(header_value: str) -> Identity:
        known = verified.get(header_value)
        if known is not None:
            return known
        scheme, _, token = header_value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("expected 'Authorization: Bearer <token>'")
        try:
            claims = await kit.verify_signed(token.strip())
        except Unauthorized as exc:
            raise InvalidToken(exc.detail or "invalid token") from exc
        identity = Identity(
            claims.user_id, claims.username, tuple(claims.roles), claims.jti, claims.iat
        )
        verified.put(header_value, identity, claims.exp)
        return identity

    async def check_revoked(identity: Identity) -> None:
        try:
            await kit.check_revoked(identity.token_id, identity.user_id, identity.issued_at)
        except (Unauthorized, ServiceUnavailable) as exc:
            raise InvalidToken(exc.detail or "token revoked") from exc

    return verify, check_revoked


def upstream_pool(settings: Settings) -> UpstreamPool:
    """One keep-alive pool for all upstreams (and the registry)."""
    return UpstreamPool(
        connect_timeout_s=settings.gateway_connect_timeout_s,
        read_timeout_s=settings.gateway_read_timeout_s,
        max_idle_per_origin=settings.gateway_pool_per_upstream,
    )
