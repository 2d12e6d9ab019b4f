"""Commits with outbox rows wake this process's relays (instead of their next poll)."""

from __future__ import annotations

import asyncio

import pytest

from ecomkit.db import OutboxSignal

pytestmark = pytest.mark.anyio


async def test_notify_wakes_every_subscriber_until_it_unsubscribes() -> None:
    signal = OutboxSignal()
    first, second = signal.subscribe(), signal.subscribe()
    signal.notify()
    await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 1)
    first.clear()
    second.clear()
    signal.unsubscribe(second)
    signal.notify()
    assert first.is_set() and not second.is_set()


def test_notify_without_subscribers_or_loop_is_harmless() -> None:
    signal = OutboxSignal()
    signal.notify()
    signal.unsubscribe(signal.subscribe())
