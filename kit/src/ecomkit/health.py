"""Liveness/readiness routes and ready-made readiness checks for the kit's stores."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_S = 2.0


async def run_checks(
    checks: Mapping[str, Check], timeout_s: float = CHECK_TIMEOUT_S
) -> tuple[bool, dict[str, str]]:
    """Runs the checks concurrently; each result is "UP" or "DOWN: <reason>"."""

    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), timeout_s)
        except TimeoutError:
            return f"DOWN: no answer within {timeout_s:g} s"
        except Exception as exc:
            return f"DOWN: {type(exc).__name__}: {exc}"[:300]
        return "UP"

    names = list(checks)
    results = await asyncio.gather(*(one(checks[n]) for n in names))
    outcome = dict(zip(names, results, strict=True))
    return all(r == "UP" for r in results), outcome


def health_router(readiness: Mapping[str, Check]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "UP"}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        ok, checks = await run_checks(readiness)
        body = {"status": "UP" if ok else "DOWN", "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    return router


def sql_check(engine: AsyncEngine) -> Check:
    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def redis_check(redis: Any) -> Check:
    async def check() -> None:
        await redis.ping()

    return check


def mongo_check(client: Any) -> Check:
    async def check() -> None:
        await client.admin.command("ping")

    return check


def kafka_check(producer: Any) -> Check:
    """Ready when the producer knows at least one broker (metadata fetched)."""

    async def check() -> None:
        await producer.client.force_metadata_update()
        if not producer.client.cluster.brokers():
            raise ConnectionError("no Kafka broker known")

    return check
