"""The ASGI app: `python -m gateway` (Granian), or any ASGI server (`...entrypoints.app:app`).

/api/** goes straight to the bare ASGI proxy (no framework middleware on the hot path),
/ws/** (WebSockets) to the WebSocket proxy;
everything else (health, metrics, OpenAPI) is the kit's FastAPI app, which also owns the
lifespan: registration with the registry, the upstream pool, the registry refresh task.
"""

from __future__ import annotations

from ecomkit.lazy import lazy_app
from fastapi import FastAPI

from gateway.adapters.upstreams import registry_source
from gateway.bootstrap import Gateway, bootstrap, upstream_pool
from gateway.entrypoints import metrics
from gateway.entrypoints.admin import admin_router
from gateway.entrypoints.asgi import Receive, Scope, Send
from gateway.entrypoints.proxy import send_rejected
from gateway.entrypoints.ws_proxy import WS_PREFIX
from gateway.service_layer.edge import Rejected
from gateway.settings import Settings

API_PREFIX = "/api/"
# The gateway's own pages that tell an attacker where everything is: ADMIN only.
OPERATOR_PATHS = ("/gateway/", "/metrics", "/docs", "/redoc", "/openapi.json")


class GatewayApp:
    """Dispatches by path; exposes the admin app's attributes (state, routes) for tools."""

    def __init__(self, gateway: Gateway, admin: FastAPI, *, scrape_token: str = "") -> None:
        self.gateway = gateway
        self.admin = admin
        self.scrape_token = scrape_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            await self.gateway.proxy(scope, receive, send)
        elif scope["type"] == "websocket" and scope["path"].startswith(WS_PREFIX):
            await self.gateway.websockets(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(OPERATOR_PATHS):
            if await self._operator_allowed(scope, send):
                await self.admin(scope, receive, send)
        else:
            await self.admin(scope, receive, send)

    async def _operator_allowed(self, scope: Scope, send: Send) -> bool:
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        path: str = scope["path"]
        scrape = self.scrape_token if path == "/metrics" else ""
        try:
            await self.gateway.proxy.policy.authorize_operator(authorization, scrape)
        except Rejected as rejected:
            await send_rejected(send, rejected, instance=path, headers=[])
            return False
        return True


def create_app(settings: Settings | None = None, *, gateway: Gateway | None = None) -> GatewayApp:
    settings = settings or Settings()
    gateway = gateway or bootstrap(settings)
    proxy, resolver = gateway.proxy, gateway.resolver

    async def open_pool() -> None:
        proxy.pool = upstream_pool(settings)
        if settings.registry_url and resolver.source is None:
            resolver.source = registry_source(proxy.pool, settings.registry_url)
        await resolver.refresh()

    async def close_pool() -> None:
        if proxy.pool is not None:
            await proxy.pool.close()

    readiness = {}
    if gateway.ping_limiter is not None:
        # The limiter fails open, but a gateway without its limits should not look healthy.
        readiness["redis"] = gateway.ping_limiter

    from ecomkit.web import create_app as create_kit_app

    admin = create_kit_app(
        settings,
        title="gateway",
        routers=[admin_router(gateway)],
        readiness=readiness,
        startup=[open_pool],
        shutdown=[close_pool],
        background=[resolver.run, metrics.flush_forever],
        before_scrape=metrics.flush,
    )
    scrape_token = settings.gateway_metrics_token.get_secret_value()
    return GatewayApp(gateway, admin, scrape_token=scrape_token)


app: GatewayApp  # built on first access, not at import
__getattr__ = lazy_app(create_app)
