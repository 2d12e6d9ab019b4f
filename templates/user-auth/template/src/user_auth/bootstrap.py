"""Wires the real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ecomkit import passwords
from ecomkit.auth import TokenIssuer
from ecomkit.db import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from user_auth.service_layer.handlers import Dependencies, Offload
from user_auth.service_layer.messagebus import MessageBus, message_bus
from user_auth.service_layer.ports import AccessTokenIssuer, Clock, PasswordHasher, utc_now
from user_auth.service_layer.unit_of_work import MysqlUnitOfWork, UnitOfWork, utc_sessions
from user_auth.settings import Settings


def bootstrap(
    settings: Settings,
    *,
    uow: Callable[[], UnitOfWork] | None = None,
    hasher: PasswordHasher | None = None,
    tokens: AccessTokenIssuer | None = None,
    clock: Clock = utc_now,
    engine: AsyncEngine | None = None,
) -> MessageBus:
    if uow is None:
        sessions = utc_sessions(engine or create_engine(settings.database_url))
        uow = lambda: MysqlUnitOfWork(sessions)  # noqa: E731
    return message_bus(
        Dependencies(
            uow=uow,
            hasher=hasher or default_hasher(),
            tokens=tokens or TokenIssuer(settings),
            clock=clock,
            access_ttl_s=settings.access_token_ttl_s,
            refresh_ttl_s=settings.refresh_token_ttl_s,
            offload=hashing_pool(settings.password_hash_threads),
        )
    )


def hashing_pool(threads: int) -> Offload:
    """At most `threads` hashes at once, in threads (argon2-cffi releases the GIL while it
    hashes); more wait their turn in the event loop without blocking it."""
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")

    async def offload(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    return offload


def default_hasher() -> PasswordHasher:
    """argon2id with the kit's parameters (a module with hash/verify/needs_rehash)."""
    return passwords
