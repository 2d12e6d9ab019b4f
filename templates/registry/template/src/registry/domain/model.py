"""The registry's state: which instances of which services are alive, in memory.

Like a Eureka server, the registry keeps nothing on disk: after a restart it is empty
until the clients' next heartbeats (answered 404) make them register again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class UnknownInstance(KeyError):
    """No such instance (never registered, deregistered, or evicted)."""


@dataclass
class InstanceRecord:
    service: str
    instance_id: str
    url: str
    weight: int
    metadata: dict[str, Any]
    registered_at: float
    last_heartbeat: float
    status: str = "UP"

    def as_dict(self, wall_offset: float) -> dict[str, Any]:
        return {
            "service": self.service,
            "instance_id": self.instance_id,
            "url": self.url,
            "weight": self.weight,
            "metadata": self.metadata,
            "status": self.status,
            "registered_at": self.registered_at + wall_offset,
            "last_heartbeat": self.last_heartbeat + wall_offset,
        }


@dataclass
class ServiceRegistry:
    evict_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _services: dict[str, dict[str, InstanceRecord]] = field(default_factory=dict)

    def register(
        self,
        service: str,
        instance_id: str,
        url: str,
        *,
        weight: int = 100,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[InstanceRecord, bool]:
        """Adds or updates (idempotent); says whether the instance is new."""
        now = self.clock()
        instances = self._services.setdefault(service, {})
        known = instances.get(instance_id)
        record = InstanceRecord(
            service=service,
            instance_id=instance_id,
            url=url.rstrip("/"),
            weight=weight,
            metadata=metadata or {},
            registered_at=known.registered_at if known else now,
            last_heartbeat=now,
        )
        instances[instance_id] = record
        return record, known is None

    def heartbeat(self, service: str, instance_id: str) -> InstanceRecord:
        record = self._get(service, instance_id)
        record.last_heartbeat = self.clock()
        return record

    def set_weight(self, service: str, instance_id: str, weight: int) -> InstanceRecord:
        record = self._get(service, instance_id)
        record.weight = weight
        return record

    def deregister(self, service: str, instance_id: str) -> None:
        self._get(service, instance_id)
        del self._services[service][instance_id]
        if not self._services[service]:
            del self._services[service]

    def instances(self, service: str) -> list[InstanceRecord]:
        return sorted(self._services.get(service, {}).values(), key=lambda r: r.instance_id)

    def services(self) -> dict[str, list[InstanceRecord]]:
        return {name: self.instances(name) for name in sorted(self._services)}

    def evict_expired(self) -> list[InstanceRecord]:
        """Removes instances silent for longer than `evict_after_s`; returns them."""
        deadline = self.clock() - self.evict_after_s
        evicted = [
            record
            for instances in self._services.values()
            for record in instances.values()
            if record.last_heartbeat < deadline
        ]
        for record in evicted:
            self.deregister(record.service, record.instance_id)
        return evicted

    def _get(self, service: str, instance_id: str) -> InstanceRecord:
        try:
            return self._services[service][instance_id]
        except KeyError:
            raise UnknownInstance(f"{service}/{instance_id}") from None
