from __future__ import annotations

import pytest

from registry.domain.model import ServiceRegistry, UnknownInstance


def test_register_is_idempotent_and_updates(registry: ServiceRegistry) -> None:
    _, new = registry.register("user-auth", "ua-1", "http://127.0.0.1:8081/")
    record, again = registry.register("user-auth", "ua-1", "http://127.0.0.1:9999", weight=5)
    assert (new, again) == (True, False)
    assert [r.url for r in registry.instances("user-auth")] == ["http://127.0.0.1:9999"]
    assert record.weight == 5


def test_heartbeat_of_unknown_instance_fails(registry: ServiceRegistry) -> None:
    with pytest.raises(UnknownInstance):
        registry.heartbeat("user-auth", "nope")


def test_silent_instances_are_evicted_beating_ones_stay(registry, clock) -> None:  # type: ignore[no-untyped-def]
    registry.register("a", "a-1", "http://h:1")
    registry.register("a", "a-2", "http://h:2")
    clock.now += 20
    registry.heartbeat("a", "a-2")
    clock.now += 15
    evicted = registry.evict_expired()
    assert [r.instance_id for r in evicted] == ["a-1"]
    assert [r.instance_id for r in registry.instances("a")] == ["a-2"]


def test_deregistering_the_last_instance_forgets_the_service(registry: ServiceRegistry) -> None:
    registry.register("a", "a-1", "http://h:1")
    registry.deregister("a", "a-1")
    assert registry.services() == {}
