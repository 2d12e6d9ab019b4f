"""The login gate's turns: one address's logins enter the service a few at a time, and the
map of addresses holds only those with a login in or waiting."""

from __future__ import annotations

import asyncio

import pytest

from user_auth.entrypoints.login_gate import AddressTurns, client_ip_of

pytestmark = pytest.mark.anyio


async def test_an_address_has_at_most_its_turns_at_once_and_others_are_not_held() -> None:
    turns = AddressTurns(per_address=2)
    inside: dict[str, int] = {"ip:a": 0, "ip:b": 0}
    most: dict[str, int] = {"ip:a": 0, "ip:b": 0}

    async def login(key: str) -> None:
        async with turns.turn(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            await asyncio.sleep(0.01)
            inside[key] -= 1

    await asyncio.gather(*(login("ip:a") for _ in range(10)), login("ip:b"))
    assert most == {"ip:a": 2, "ip:b": 1}
    assert len(turns) == 0  # nobody in or waiting: nothing kept


async def test_a_waiter_that_goes_away_gives_its_place_back() -> None:
    turns = AddressTurns(per_address=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with turns.turn("ip:a"):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    release.set()
    await holder
    await asyncio.gather(waiter, return_exceptions=True)
    assert len(turns) == 0


def test_the_address_is_the_last_one_the_gateway_appended() -> None:
    headers = [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"6.6.6.6, 10.0.0.7")]
    assert client_ip_of(headers, ("127.0.0.1", 5000)) == "10.0.0.7"
    assert client_ip_of([], ("127.0.0.1", 5000)) == "127.0.0.1"
