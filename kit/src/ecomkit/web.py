"""`create_app`: the FastAPI application every service starts from.

It adds what an operator expects of each service (health, metrics, problem+json errors,
request/correlation ids, trace propagation, a body limit, faults injected on demand for
rollout drills), registers with the registry while running, and runs the service's
background loops (outbox relay, consumers) for the app's lifetime, restarting one that
crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST

from ecomkit.admin import admin_router
from ecomkit.faults import FaultInjectionMiddleware, FaultInjector, parse_faults
from ecomkit.health import Check, health_router
from ecomkit.logging import configure_logging
from ecomkit.middleware import BodySizeLimitMiddleware, MetricsMiddleware, RequestContextMiddleware
from ecomkit.multiprocess import exposition
from ecomkit.problem_handlers import install_problem_handlers
from ecomkit.registry_client import RegistryClient
from ecomkit.settings import ServiceSettings
from ecomkit.tracing import create_tracer_provider, instrument_libraries

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]
RESTART_DELAY_S = (1.0, 30.0)
UNTRACED_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    version: str = "1.0.0",
    routers: Sequence[APIRouter] = (),
    readiness: Mapping[str, Check] | None = None,
    startup: Sequence[Hook] = (),
    shutdown: Sequence[Hook] = (),
    background: Sequence[Hook] = (),
    configure_logs: bool = True,
    faults: FaultInjector | None = None,
    before_scrape: Callable[[], None] | None = None,
) -> FastAPI:
    if configure_logs:
        configure_logging(settings.service_name, settings.log_level)
    provider = _tracer_provider(settings)
    app = FastAPI(
        title=title,
        version=version,
        lifespan=_lifespan(settings, provider, startup, shutdown, background),
        telemetry=_server_spans(provider),
    )
    app.state.settings = settings
    app.state.tracer_provider = provider
    app.state.faults = faults = faults or FaultInjector(parse_faults(settings.faults))
    install_problem_handlers(app)
    app.include_router(health_router(readiness or {}))
    app.include_router(admin_router())
    app.add_api_route("/metrics", _metrics_endpoint(before_scrape), include_in_schema=False)
    app.add_api_route("/contracts", _contracts, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    # Added innermost first: the context middleware wraps everything else.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Inside the metrics: injected errors and delays are counted like real ones.
    app.add_middleware(FaultInjectionMiddleware, injector=faults)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app


def _server_spans(provider: TracerProvider) -> TelemetryConfig:
    """One SERVER span per request (FastAPI's own OpenTelemetry support: the caller's
    traceparent continued, named by route, status and errors recorded), none for probes
    and scrapes. No per-operation spans and no OpenTelemetry metrics or logs: the kit's
    Prometheus middleware and JSON logs do those. It replaced the contrib instrumentation,
    which cost 200 us a traced request against 130 here (tracing_cost, benchmarks.md)."""
    return {
        "tracer_provider": provider,
        "tracing": True,
        "operation_spans": False,
        "metrics": False,
        "logs": False,
        "exclude": lambda scope: scope.get("path") in UNTRACED_PATHS,
    }


def _metrics_endpoint(
    before_scrape: Callable[[], None] | None,
) -> Callable[[], Awaitable[Response]]:
    async def metrics() -> Response:
        if before_scrape is not None:  # counts a service keeps itself (the gateway's)
            before_scrape()
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return metrics


async def _contracts() -> dict[str, Any]:
    """The event contracts this process loaded: a release checks that the color it
    replaces can read the events of the new one (ecomctl deploy)."""
    from ecomkit.contracts import describe  # on first use: the contracts load pydantic models

    return describe()


def _tracer_provider(settings: ServiceSettings) -> TracerProvider:
    """Spans always exist (so traceparent is continued and logs carry a trace id); they
    are exported only when ECOM_ZIPKIN_URL is set."""
    instrument_libraries()
    provider = create_tracer_provider(
        settings.service_name, settings.zipkin_url, sample_ratio=settings.trace_sample_ratio
    )
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)  # for consumers and the outbox headers
    return provider


def _lifespan(
    settings: ServiceSettings,
    provider: TracerProvider,
    startup: Sequence[Hook],
    shutdown: Sequence[Hook],
    background: Sequence[Hook],
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in startup:
            await hook()
        freeze_startup_heap()
        tasks = [asyncio.create_task(supervise(fn), name=_name(fn)) for fn in background]
        registry = await _register(app, settings)
        if registry is not None:
            tasks.append(asyncio.create_task(registry.heartbeat_loop(), name="registry"))
        try:
            yield
        finally:
            if registry is not None:
                await registry.deregister()
                await registry.aclose()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for hook in shutdown:
                await hook()
            # From a thread of its own: on the loop's thread, force_flush cannot wait for
            # a batch whose post is under way (ecomkit.span_export), and the loop stops next.
            await asyncio.to_thread(provider.force_flush, 2000)
            gc.unfreeze()  # what the app kept can be collected again (tests run many apps)

    return lifespan


def freeze_startup_heap() -> None:
    """Moves every object alive once the service has started (its modules, models, routes,
    pools: about 150,000 in the order service) out of the cyclic collector's reach.

    They live as long as the process, but each full collection walked them all: 100-120 ms
    a time in the order service, once or twice every 4 s under load, whatever the requests
    were. Objects that outlive a request's young collections (a traced request's spans,
    queued for export) bring full collections on sooner, so that pause was most of what
    tracing cost a read (tracing_cost in docs/benchmarks.md). Frozen, a full collection
    takes 5-7 ms. Frozen objects are still freed when their count drops to zero; only a
    reference cycle among them would outlive its use, and startup objects live on anyway.
    """
    gc.collect()
    gc.freeze()
    log.debug("froze %d startup objects out of the cyclic collector", gc.get_freeze_count())


async def _register(app: FastAPI, settings: ServiceSettings) -> RegistryClient | None:
    """Registers last, so callers find the instance only once it can serve."""
    if not settings.registry_url:
        app.state.registry = None
        return None
    client = RegistryClient(
        settings.registry_url,
        settings.service_name,
        settings.host,
        settings.port,
        weight=settings.registry_weight,
        metadata={"color": settings.color, "version": settings.version},
        secret=settings.registry_secret.get_secret_value(),
    )
    app.state.registry = client
    try:
        await client.register()
    except Exception as exc:  # the heartbeat loop registers once the registry is back
        log.warning("could not register with %s: %s", settings.registry_url, exc)
    return client


def _name(fn: Hook) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


async def supervise(fn: Hook) -> None:
    """Run a background loop for the app's lifetime, restarting it after a crash."""
    delay, max_delay = RESTART_DELAY_S
    while True:
        try:
            await fn()
            log.warning("background task %s returned; not restarting", _name(fn))
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s crashed; restarting in %.0f s", _name(fn), delay)
        await asyncio.sleep(delay)
        delay = min(max_delay, delay * 2)
