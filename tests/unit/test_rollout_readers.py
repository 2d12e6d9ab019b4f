"""Before a new color takes traffic: can the serving color read the events it will publish?"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from ecomctl.contracts.snapshot import kit_contracts
from ecomctl.rollout.readers import unreadable_events
from ecomctl.rollout.routing import Endpoint

BLUE = Endpoint("order", "order-blue", "http://blue", "blue", "1.0", 1000)
GREEN = Endpoint("order", "order-green", "http://green", "green", "1.1", 0)


def answering(blue: Any, green: Any):  # type: ignore[no-untyped-def]
    def fetch(url: str) -> Any:
        found = {"http://blue": blue, "http://green": green}[url]
        if isinstance(found, Exception):
            raise found
        return found

    return fetch


def test_the_same_contracts_are_readable() -> None:
    loaded = kit_contracts().describe()
    assert unreadable_events(BLUE, GREEN, answering(loaded, copy.deepcopy(loaded))) == []


def test_a_field_green_no_longer_sends_is_refused_with_its_name() -> None:
    blue = kit_contracts().describe()
    green = copy.deepcopy(blue)
    schema = green["events"]["OrderCreated"]["schema"]
    del schema["properties"]["user_id"]
    schema["required"] = [name for name in schema["required"] if name != "user_id"]
    found = unreadable_events(BLUE, GREEN, answering(blue, green))
    assert isinstance(found, list) and found
    assert any("OrderCreated" in p.line() and "user_id" in p.line() for p in found), found


def test_an_instance_that_cannot_say_is_a_warning_not_a_refusal() -> None:
    loaded = kit_contracts().describe()
    gone = httpx.ConnectError("connection refused")
    found = unreadable_events(BLUE, GREEN, answering(loaded, gone))
    assert isinstance(found, str) and "could not be compared" in found
    old_kit = unreadable_events(BLUE, GREEN, answering({"detail": "Not Found"}, loaded))
    assert isinstance(old_kit, str)
