"""Client of the registry service (contract: Registry HTTP API in the issue-4 contract).

Registration failures never stop a service: the heartbeat loop keeps trying and registers
again whenever the registry answers 404 (it restarted and forgot us). Each heartbeat's
answer carries the weight the registry holds (an operator may have changed it, e.g. promoted
a green instance from 0): the client adopts it, so registering again after a registry
restart keeps the operator's weight instead of the start-up one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import httpx
from pydantic import BaseModel

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 10.0
# The registry's credential for writes (register, heartbeat, deregister, weight).
SECRET_HEADER = "x-registry-secret"


class Instance(BaseModel):
    url: str
    instance_id: str
    weight: int = 100
    status: str = "UP"

    @property
    def routable(self) -> bool:
        """Healthy and given traffic (weight 0 parks an instance, e.g. in blue-green)."""
        return self.status.upper() == "UP" and self.weight > 0


class Registry(Protocol):
    """What `ServiceClient` needs from a registry (the real client and the fake)."""

    async def instances(self, service: str) -> list[Instance]: ...


class RegistryClient:
    def __init__(
        self,
        url: str,
        service_name: str,
        host: str,
        port: int,
        *,
        weight: int = 100,
        metadata: dict[str, Any] | None = None,
        heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S,
        secret: str = "",
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.service_name = service_name
        self.instance_id = f"{service_name}-{host}-{port}"
        self.instance_url = f"http://{host}:{port}"
        self.weight = weight
        self.metadata = metadata or {}
        self.heartbeat_interval_s = heartbeat_interval_s
        self._http = http or httpx.AsyncClient(base_url=url.rstrip("/"), timeout=2.0)
        if secret:  # every write needs it; reads ignore it
            self._http.headers[SECRET_HEADER] = secret

    @property
    def _instance_path(self) -> str:
        return f"/api/registry/instances/{self.service_name}/{self.instance_id}"

    async def register(self) -> None:
        response = await self._http.post(
            "/api/registry/instances",
            json={
                "service": self.service_name,
                "instance_id": self.instance_id,
                "url": self.instance_url,
                "weight": self.weight,
                "metadata": self.metadata,
            },
        )
        response.raise_for_status()

    async def heartbeat(self) -> None:
        """One heartbeat; registers again if the registry does not know this instance."""
        response = await self._http.put(f"{self._instance_path}/heartbeat")
        if response.status_code == 404:
            log.info("registry forgot %s, registering again", self.instance_id)
            await self.register()
            return
        response.raise_for_status()
        self._adopt_weight(response)

    def _adopt_weight(self, response: httpx.Response) -> None:
        try:
            weight = response.json().get("weight")
        except (ValueError, AttributeError):  # not a JSON object: keep what we have
            return
        if isinstance(weight, int) and not isinstance(weight, bool) and weight != self.weight:
            log.info("registry weight of %s is now %d", self.instance_id, weight)
            self.weight = weight

    async def heartbeat_loop(self) -> None:
        """Run until cancelled: heartbeat every interval, surviving registry outages."""
        while True:
            await asyncio.sleep(self.heartbeat_interval_s)
            try:
                await self.heartbeat()
            except httpx.HTTPError as exc:
                log.warning("registry heartbeat failed: %s", exc)

    async def deregister(self) -> None:
        try:
            response = await self._http.delete(self._instance_path)
            if response.status_code not in (204, 404):
                response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("registry deregistration failed: %s", exc)

    async def instances(self, service: str) -> list[Instance]:
        response = await self._http.get(f"/api/registry/services/{service}")
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [Instance.model_validate(i) for i in response.json().get("instances", [])]

    async def aclose(self) -> None:
        await self._http.aclose()
