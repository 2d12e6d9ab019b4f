"""The edge asks whether a token was revoked on protected routes, not on public ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.bootstrap import bootstrap
from gateway.domain.identity import Identity, InvalidToken
from gateway.domain.ratelimit import InMemoryTokenBucket, Limit
from gateway.domain.routes import PublicRule, Route, RouteTable
from gateway.service_layer.edge import EdgePolicy, Rejected
from gateway.settings import Settings

pytestmark = pytest.mark.anyio

ROUTE = Route(
    "catalog",
    "product-catalog",
    ("/api/products",),
    (PublicRule(frozenset({"GET"}), frozenset({"/api/products"}), ()),),
)
ANN = Identity(7, "ann", ("USER",), token_id="j1", issued_at=1.0)


async def verify(header_value: str) -> Identity:
    return ANN


def policy(revoked: set[str], asked: list[str]) -> EdgePolicy:
    async def check_revoked(identity: Identity) -> None:
        asked.append(identity.token_id)
        if identity.token_id in revoked:
            raise InvalidToken("token revoked")

    return EdgePolicy(
        verify=verify,
        limiter=InMemoryTokenBucket(),
        ip_limit=Limit(100, 100),
        user_limit=Limit(100, 100),
        check_revoked=check_revoked,
    )


async def test_a_revoked_token_is_refused_on_a_protected_route() -> None:
    asked: list[str] = []
    edge = policy({"j1"}, asked)
    with pytest.raises(Rejected) as refused:
        await edge.identify(ROUTE, "POST", "/api/products", "Bearer t")
    assert refused.value.status == 401 and asked == ["j1"]


async def test_public_routes_do_not_ask_and_valid_tokens_pass() -> None:
    asked: list[str] = []
    assert await policy({"j1"}, asked).identify(ROUTE, "GET", "/api/products", "Bearer t") == ANN
    assert asked == []
    assert await policy(set(), asked).identify(ROUTE, "POST", "/api/products", "Bearer t") == ANN
    assert asked == ["j1"]


def edge_of(settings: Settings) -> EdgePolicy:
    routes = RouteTable([ROUTE])
    return bootstrap(settings, limiter=InMemoryTokenBucket(), routes=routes).proxy.policy


def test_the_revocation_check_is_on_by_default_and_only_development_may_turn_it_off() -> None:
    jwks = '{"keys": []}'
    assert edge_of(Settings(jwks=jwks)).check_revoked is not None
    assert edge_of(Settings(jwks=jwks, gateway_revocation_check=False)).check_revoked is None
    with pytest.raises(ValidationError, match="ECOM_GATEWAY_REVOCATION_CHECK"):
        Settings(jwks=jwks, environment="production", gateway_revocation_check=False)
