"""Wires the real adapters (or the fakes a test passes in) into a message bus."""

from __future__ import annotations

from collections.abc import Callable

from ecomkit import passwords
from ecomkit.auth import MissingKeyConfig, TokenIssuer
from ecomkit.db import create_engine
from ecomkit.hashing_pool import FairHashingPool
from ecomkit.keys import KeyConfigError, SigningKeyRing
from ecomkit.redis_client import request_path_redis
from ecomkit.revocation import RedisDenylist
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from user_auth.adapters.redis_login_throttle import RedisLoginThrottle
from user_auth.adapters.sessions import FileServiceClients, RedisResetTokens, SmtpMailer
from user_auth.service_layer.handlers import Dependencies
from user_auth.service_layer.login_throttle import InMemoryLoginThrottle
from user_auth.service_layer.messagebus import MessageBus, message_bus
from user_auth.service_layer.ports import AccessTokenIssuer, Clock, PasswordHasher, utc_now
from user_auth.service_layer.sessions import SessionDependencies
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
    read_engine: AsyncEngine | None = None,
    sessions: SessionDependencies | None = None,
) -> MessageBus:
    reads: Callable[[], UnitOfWork] | None = None
    if uow is None:
        sessions_factory = utc_sessions(engine or create_engine(settings.database_url))
        uow = lambda: MysqlUnitOfWork(sessions_factory)  # noqa: E731
        if read_engine is not None:
            read_sessions = utc_sessions(read_engine)
            reads = lambda: MysqlUnitOfWork(read_sessions)  # noqa: E731
    issuer = tokens or token_issuer(settings)
    redis = redis_client(settings)
    return message_bus(
        Dependencies(
            uow=uow,
            reads=reads,
            hasher=hasher or default_hasher(),
            tokens=issuer,
            clock=clock,
            access_ttl_s=settings.access_token_ttl_s,
            refresh_ttl_s=settings.refresh_token_ttl_s,
            hashing=FairHashingPool.threads(
                settings.password_hash_threads, nice=settings.password_hash_nice
            ),
            sessions=sessions or session_adapters(settings, issuer, redis),
            throttle=RedisLoginThrottle(redis) if redis else InMemoryLoginThrottle(),
        )
    )


def token_issuer(settings: Settings) -> TokenIssuer:
    if not settings.jwt_keys_file:
        raise MissingKeyConfig(
            "user-auth: ECOM_JWT_KEYS_FILE is not set, so no token can be signed "
            "(`ecomctl up` generates the key file into the workspace)"
        )
    try:
        return TokenIssuer(settings, SigningKeyRing(settings.jwt_keys_file))
    except KeyConfigError as error:
        raise MissingKeyConfig(f"user-auth: {error}") from error


def redis_client(settings: Settings) -> Redis | None:
    return request_path_redis(settings.redis_url) if settings.redis_url else None


def session_adapters(
    settings: Settings, issuer: object, redis: Redis | None
) -> SessionDependencies:
    """Redis for revocation and reset tokens, the SMTP sink for mail, the clients file."""
    return SessionDependencies(
        denylist=RedisDenylist(redis) if redis else None,
        reset_tokens=RedisResetTokens(redis) if redis else None,
        mailer=SmtpMailer(settings) if settings.smtp_host else None,
        clients=FileServiceClients(settings.service_clients_file)
        if settings.service_clients_file
        else None,
        service_tokens=issuer if isinstance(issuer, TokenIssuer) else None,
        reset_ttl_s=settings.password_reset_ttl_s,
    )


def default_hasher() -> PasswordHasher:
    """argon2id with the kit's parameters (a module with hash/verify/needs_rehash)."""
    return passwords
