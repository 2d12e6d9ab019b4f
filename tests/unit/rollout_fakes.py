"""A stack in memory for the switch: a registry, instances serving by weight, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from ecomctl.rollout.routing import Endpoint, RegistryApi
from ecomctl.rollout.switch import Ports

RPS = 40.0  # the fake traffic of the whole service


def registry_answer(
    request: httpx.Request, endpoints: list[Endpoint]
) -> tuple[httpx.Response, tuple[str, int] | None]:
    """What the registry answers: the instances to a GET, and (instance, weight) of a PUT."""
    if request.method == "GET":
        instances = [
            {
                "instance_id": e.instance_id,
                "url": e.url,
                "weight": e.weight,
                "metadata": {"color": e.color, "version": e.version},
                "status": "UP",
            }
            for e in endpoints
        ]
        return httpx.Response(200, json={"instances": instances}), None
    instance_id = request.url.path.split("/")[-2]
    weight = int(httpx.Response(200, content=request.content).json()["weight"])
    return httpx.Response(200, json={}), (instance_id, weight)


@dataclass
class FakeInstance:
    instance_id: str
    color: str
    latency_s: float = 0.02
    error_rate: float = 0.0
    weight: int = 0
    served: float = 0.0
    errors: float = 0.0
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "http_requests_total", "", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "", ["method", "route"], registry=self.registry
        )

    def serve(self, count: int) -> None:
        for _ in range(count):
            self.served += 1
            failing = self.errors < self.served * self.error_rate
            self.errors += failing
            status = "500" if failing else "200"
            self.requests.labels("GET", "/api/orders/{id}", status).inc()
            self.latency.labels("GET", "/api/orders/{id}").observe(self.latency_s)

    def metrics(self) -> str:
        return generate_latest(self.registry).decode()


class FakeStack:
    """Registry + instances + time: traffic flows by weight whenever the clock moves."""

    def __init__(self, instances: list[FakeInstance]) -> None:
        self.instances = {i.instance_id: i for i in instances}
        self.now = 0.0
        self.stopped: list[str] = []
        self.promoted: list[str] = []
        self.interrupt_after_sleeps: int | None = None
        self.sleeps = 0

    # the registry's HTTP API
    def handle(self, request: httpx.Request) -> httpx.Response:
        endpoints = [
            Endpoint("order", i.instance_id, f"http://fake/{i.instance_id}", i.color, "1", i.weight)
            for i in self.instances.values()
        ]
        answer, put = registry_answer(request, endpoints)
        if put is not None:
            self.instances[put[0]].weight = put[1]
        return answer

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.interrupt_after_sleeps is not None and self.sleeps > self.interrupt_after_sleeps:
            raise KeyboardInterrupt
        total = sum(i.weight for i in self.instances.values()) or 1
        for instance in self.instances.values():
            instance.serve(round(RPS * seconds * instance.weight / total))
        self.now += seconds

    def stop_color(self, service: str, color: str) -> list[str]:
        gone = [i for i, inst in self.instances.items() if inst.color == color]
        for instance_id in gone:
            del self.instances[instance_id]
        self.stopped += gone
        return gone

    def ports(self) -> Ports:
        client = httpx.Client(
            base_url="http://registry", transport=httpx.MockTransport(self.handle)
        )
        return Ports(
            registry=RegistryApi("http://registry", client=client),
            scrape=lambda url: self.instances[url.rsplit("/", 1)[1]].metrics(),
            settle=lambda service, weights: True,
            stop_color=self.stop_color,
            promote=lambda service, color: self.promoted.append(color),
            sleep=self.sleep,
            clock=lambda: self.now,
        )
