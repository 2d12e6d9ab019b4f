"""Fakes for services' unit tests. Each passes the same contract tests as the real adapter
(ecomkit.testing.contracts)."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from ecomkit.contracts.base import Contract
from ecomkit.events import Envelope, decode
from ecomkit.inbox import Handler
from ecomkit.kafka import Headers
from ecomkit.registry_client import Instance
from ecomkit.unit_of_work import UnitOfWork

SettingsT = TypeVar("SettingsT")
# The users TestAuth's admin and service callers are; a test's own users take other ids.
ADMIN_ID, SERVICE_ID = 1, 2
StoreT = TypeVar("StoreT")
EventT = TypeVar("EventT")


def arriving(event: Contract, source: str = "test") -> Envelope:
    """`event` as a consumer receives it from another service's outbox (a new event id)."""
    published = event.to_event()
    return Envelope(
        type=published.type,
        source=source,
        subject=published.key,
        data=published.data,
        schema_version=published.schema_version,
    )


@dataclass(frozen=True)
class SentRecord:
    topic: str
    value: bytes | None
    key: bytes | None
    headers: Headers

    @property
    def envelope(self) -> Envelope:
        return decode(self.value)

    def header(self, name: str) -> str | None:
        return next((v.decode() for k, v in self.headers if k == name), None)


@dataclass
class InMemoryProducer:
    """Stands in for AIOKafkaProducer; `fail_next` makes the next sends raise."""

    sent: list[SentRecord] = field(default_factory=list)
    fail_next: int = 0

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[None]:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("fake broker unavailable")
        self.sent.append(SentRecord(topic, value, key, list(headers or [])))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        await (await self.send(topic, value, key=key, headers=headers))

    def on(self, topic: str) -> list[SentRecord]:
        return [r for r in self.sent if r.topic == topic]


@dataclass
class FakeUnitOfWork:
    """What an in-memory handler receives: collected events and a commit flag."""

    events: list[Any] = field(default_factory=list)
    committed: bool = False

    def add_event(self, event: Any) -> None:
        self.events.append(event)

    async def commit(self) -> None:
        self.committed = True


class InMemoryUnitOfWork(UnitOfWork[EventT], Generic[StoreT, EventT]):
    """A service's fake unit of work on an in-memory store, with the real one's rules: the
    repositories work on copies (`begin`), and only `commit()` makes the copies the store's
    state and publishes the collected events (`apply`, what the outbox relay would do);
    leaving the block without a commit leaves the store as it was.

        class FakeUnitOfWork(InMemoryUnitOfWork[FakeStore, Contract], UnitOfWork):
            def begin(self) -> None:
                self._orders = copy.deepcopy(self.store.orders)
                self.orders = FakeOrderRepository(self._orders)

            def apply(self, events: list[Contract]) -> None:
                self.store.orders = self._orders
                self.store.published += events
    """

    def __init__(self, store: StoreT) -> None:
        self.store = store
        self.committed = False
        self._events: list[EventT] = []

    @abc.abstractmethod
    def begin(self) -> None:
        """Set the repositories on copies of the store's state."""

    @abc.abstractmethod
    def apply(self, events: list[EventT]) -> None:
        """Make the copies the store's state and publish `events`."""

    async def __aenter__(self) -> Self:
        self._events = []
        self.begin()
        return self

    def add_event(self, event: EventT) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        self.apply(self._events)
        self.committed = True
        await self.__aenter__()  # what follows works on the new state

    async def rollback(self) -> None:
        self._events = []


class InMemoryInbox:
    def __init__(self, uow_factory: Callable[[], Any] = FakeUnitOfWork) -> None:
        self._uow_factory = uow_factory
        self.handled: set[tuple[str, str]] = set()

    async def handle(self, envelope: Envelope, consumer: str, handler: Handler) -> bool:
        key = (str(envelope.id), consumer)
        if key in self.handled:
            return False
        await handler(envelope, self._uow_factory())
        self.handled.add(key)
        return True

    async def was_handled(self, event_id: str, consumer: str) -> bool:
        return (event_id, consumer) in self.handled


class FakeRegistry:
    """The registry's observable behaviour (register, heartbeat, deregister, lookup)."""

    def __init__(self) -> None:
        self.services: dict[str, dict[str, Instance]] = {}

    def add(
        self, service: str, url: str, *, instance_id: str | None = None, weight: int = 100
    ) -> None:
        instance_id = instance_id or f"{service}-{len(self.services.get(service, {}))}"
        self.services.setdefault(service, {})[instance_id] = Instance(
            url=url, instance_id=instance_id, weight=weight
        )

    def remove(self, service: str, instance_id: str) -> None:
        self.services.get(service, {}).pop(instance_id, None)

    async def instances(self, service: str) -> list[Instance]:
        return list(self.services.get(service, {}).values())


class TestKeys:
    """A signing key of the test's own, its JWKS document and an issuer: what user-auth and
    `ecomctl up` provide in a real stack (no built-in key exists anywhere)."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        from ecomkit.keys import SigningKeyRing, generate_key

        self.key = generate_key()
        self.ring = SigningKeyRing.in_memory([self.key])

    def jwks_json(self) -> str:
        import json

        from ecomkit.keys import jwks_document

        return json.dumps(jwks_document([self.key]))

    def write_key_file(self, path: Any) -> Any:
        """The key file user-auth reads (ECOM_JWT_KEYS_FILE), 0600, holding this key."""
        import json
        import os
        from pathlib import Path

        from cryptography.hazmat.primitives import serialization

        pem = self.key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        entry = {"kid": self.key.kid, "created": self.key.created, "retire_at": None}
        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"keys": [{**entry, "private_key_pem": pem}]}, handle)
        return target

    def settings(self) -> dict[str, Any]:
        """Settings fields: verify with these keys, no Redis denylist."""
        return {"jwks": self.jwks_json(), "redis_url": ""}

    def issuer(self, settings: Any) -> Any:
        from ecomkit.auth import TokenIssuer

        return TokenIssuer(settings, self.ring)


class TestAuth(Generic[SettingsT]):
    """A service's settings verifying a test key of its own, and tokens signed with it:
    what every API test of a service starts from.

        AUTH = TestAuth(Settings)
        ADMIN, SERVICE, USER = AUTH.admin, AUTH.service, AUTH.bearer(5)
        app = create_app(AUTH.settings, bus=bus)
    """

    __test__ = False  # not a pytest test class

    def __init__(self, settings_type: Callable[..., SettingsT], **settings: Any) -> None:
        self.keys = TestKeys()
        self.settings = settings_type(**self.keys.settings(), **settings)
        self.issuer = self.keys.issuer(self.settings)

    def token(self, user_id: int, *roles: str, username: str | None = None) -> str:
        """An access token (roles: USER when none are named; the name: user<id>)."""
        name = username or f"user{user_id}"
        return str(self.issuer.issue_access(user_id, name, list(roles) or ["USER"]))

    def bearer(self, user_id: int, *roles: str, username: str | None = None) -> dict[str, str]:
        """The Authorization header carrying `token(...)`."""
        return {"Authorization": f"Bearer {self.token(user_id, *roles, username=username)}"}

    @property
    def admin(self) -> dict[str, str]:
        """The header of an ADMIN (user 1): the operator every API test's RBAC checks name."""
        return self.bearer(ADMIN_ID, "ADMIN")

    @property
    def service(self) -> dict[str, str]:
        """The header of another service calling (user 2, role SERVICE)."""
        return self.bearer(SERVICE_ID, "SERVICE")
