"""Traffic between the colors of a service: instance weights in the registry.

The gateway (and every service calling another through `service_client`) picks an
instance in proportion to its registry weight, re-reading the registry every few seconds.
A split "10 % to green" is therefore weights: green's share (100 of 1000) spread over the
green instances, blue's share over the blue ones. The weights live in the registry and in
each instance (it re-registers with the weight it was last given), so neither a registry
restart nor an ecomctl crash moves traffic by itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from ecomctl.errors import UserError

TOTAL_WEIGHT = 1000  # the registry's maximum: per-mille resolution for a split


@dataclass(frozen=True)
class Endpoint:
    """One registered instance of a service."""

    service: str
    instance_id: str
    url: str
    color: str
    version: str
    weight: int


class RegistryApi:
    """The registry's HTTP API, as far as a rollout needs it."""

    def __init__(
        self,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`headers`: the registration secret and an ADMIN token (weights are writes)."""
        self.base_url = base_url.rstrip("/")
        self._http = client or httpx.Client(base_url=self.base_url, timeout=3.0)
        self._http.headers.update(headers or {})

    def endpoints(self, service: str) -> list[Endpoint]:
        try:
            response = self._http.get(f"/api/registry/services/{service}")
        except httpx.HTTPError as exc:
            raise UserError(
                f"the registry at {self.base_url} does not answer ({exc})",
                hint="is the stack up? ecomctl status",
            ) from None
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [
            Endpoint(
                service=service,
                instance_id=str(raw["instance_id"]),
                url=str(raw["url"]).rstrip("/"),
                color=str((raw.get("metadata") or {}).get("color") or "blue"),
                version=str((raw.get("metadata") or {}).get("version") or ""),
                weight=int(raw.get("weight", 100)),
            )
            for raw in response.json().get("instances", [])
            if raw.get("status", "UP") == "UP"
        ]

    def set_weight(self, service: str, instance_id: str, weight: int) -> None:
        response = self._http.put(
            f"/api/registry/instances/{service}/{instance_id}/weight", json={"weight": weight}
        )
        response.raise_for_status()

    def close(self) -> None:
        self._http.close()


def split_weights(
    endpoints: list[Endpoint], *, stable: str, canary: str, canary_percent: int
) -> dict[str, int]:
    """Instance id -> weight so that `canary` gets `canary_percent` of the traffic.

    Each color's share is spread evenly over its instances; an instance given a share at
    all gets at least 1 (a share rounded down to 0 would silently take a color out).
    Instances of any other color are parked at 0.
    """
    if not 0 <= canary_percent <= 100:
        raise ValueError(f"a split is 0-100 %, not {canary_percent}")
    shares = {
        canary: canary_percent * TOTAL_WEIGHT // 100,
        stable: (100 - canary_percent) * TOTAL_WEIGHT // 100,
    }
    members: dict[str, list[Endpoint]] = {stable: [], canary: []}
    for endpoint in endpoints:
        members.setdefault(endpoint.color, []).append(endpoint)
    weights: dict[str, int] = {}
    for color, group in members.items():
        share = shares.get(color, 0)
        for endpoint in group:
            weights[endpoint.instance_id] = max(1, share // len(group)) if share else 0
    return weights


def apply_split(
    registry: RegistryApi,
    service: str,
    *,
    stable: str,
    canary: str,
    canary_percent: int,
) -> list[Endpoint]:
    """Sets the weights; refuses when a color that must take traffic has no instance."""
    endpoints = registry.endpoints(service)
    colors = {e.color for e in endpoints}
    if canary_percent > 0 and canary not in colors:
        raise UserError(f"no {canary} instance of {service} is registered", hint="ecomctl deploy")
    if canary_percent < 100 and stable not in colors:
        raise UserError(f"no {stable} instance of {service} is registered")
    weights = split_weights(endpoints, stable=stable, canary=canary, canary_percent=canary_percent)
    for endpoint in endpoints:
        if endpoint.weight != weights[endpoint.instance_id]:
            registry.set_weight(service, endpoint.instance_id, weights[endpoint.instance_id])
    return registry.endpoints(service)


def share_of(endpoints: list[Endpoint], color: str) -> int:
    """The percent of traffic `color` gets with these weights."""
    total = sum(e.weight for e in endpoints)
    if total == 0:
        return 0
    return round(100 * sum(e.weight for e in endpoints if e.color == color) / total)


def wait_for_gateway(
    gateway_url: str,
    service: str,
    weights: Mapping[str, int],
    *,
    timeout_s: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
    headers: Mapping[str, str] | None = None,
) -> bool:
    """Until the gateway routes by `weights` (its workers each re-read the registry on their
    own schedule: several answers in a row must agree). False when it never did.
    `headers`: an ADMIN token (the gateway's routes page is the operator's)."""
    deadline = time.monotonic() + timeout_s
    agreeing = 0
    with httpx.Client(base_url=gateway_url, timeout=2.0, headers=headers) as http:
        while time.monotonic() < deadline:
            try:
                seen = _gateway_weights(http.get("/gateway/routes").json(), service)
            except (httpx.HTTPError, ValueError):
                seen = {}
            if seen is None:
                return True  # the gateway has no route to this service: nothing to wait for
            agreeing = agreeing + 1 if seen == dict(weights) else 0
            if agreeing >= 4:
                return True
            sleep(0.25)
    return False


def _gateway_weights(document: dict[str, object], service: str) -> dict[str, int] | None:
    routes = document.get("routes")
    if not isinstance(routes, list):
        return {}
    for route in routes:
        if isinstance(route, dict) and route.get("service") == service:
            return {
                str(i["instance_id"]): int(i["weight"])
                for i in route.get("instances", [])
                if i.get("instance_id")
            }
    return None
