"""The contact cache in front of user-auth: one request per user per TTL, shared by
concurrent look-ups, and nothing remembered from a failure."""

from __future__ import annotations

import asyncio

import pytest

from notification.adapters.clients import CachedUserDirectory
from notification.domain.errors import UpstreamUnavailable
from notification.domain.model import Contact
from tests.fakes import FakeUserDirectory

pytestmark = pytest.mark.anyio

ALICE = Contact(user_id=1, email="alice@example.com", phone=None, language="de")


class CountingDirectory(FakeUserDirectory):
    calls: int = 0
    delay_s: float = 0.0

    async def contact(self, user_id: int) -> Contact | None:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        return await super().contact(user_id)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_contact_is_asked_for_once_within_the_ttl() -> None:
    inner, clock = CountingDirectory(contacts={1: ALICE}), Clock()
    users = CachedUserDirectory(inner, ttl_s=5, timer=clock)
    assert await users.contact(1) == ALICE
    clock.now = 4.9
    assert await users.contact(1) == ALICE
    assert inner.calls == 1
    clock.now = 5.1
    assert await users.contact(1) == ALICE
    assert inner.calls == 2


async def test_an_unknown_user_is_remembered_too() -> None:
    inner = CountingDirectory()
    users = CachedUserDirectory(inner, ttl_s=5)
    assert await users.contact(7) is None
    assert await users.contact(7) is None
    assert inner.calls == 1


async def test_concurrent_look_ups_of_one_user_share_one_request() -> None:
    inner = CountingDirectory(contacts={1: ALICE})
    inner.delay_s = 0.05
    users = CachedUserDirectory(inner, ttl_s=5)
    found = await asyncio.gather(*(users.contact(1) for _ in range(5)))
    assert found == [ALICE] * 5
    assert inner.calls == 1


async def test_a_failure_is_not_remembered() -> None:
    inner = CountingDirectory(contacts={1: ALICE}, down=True)
    inner.delay_s = 0.01
    users = CachedUserDirectory(inner, ttl_s=5)
    results = await asyncio.gather(users.contact(1), users.contact(1), return_exceptions=True)
    assert all(isinstance(r, UpstreamUnavailable) for r in results)
    inner.down = False
    assert await users.contact(1) == ALICE
    assert inner.calls == 2
