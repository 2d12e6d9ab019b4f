"""Weights for a split between two colors, and the registry calls that set them."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomctl.errors import UserError
from ecomctl.rollout.routing import Endpoint, RegistryApi, apply_split, share_of, split_weights
from tests.unit.rollout_fakes import registry_answer


def endpoint(instance_id: str, color: str, weight: int = 100) -> Endpoint:
    return Endpoint("order", instance_id, f"http://127.0.0.1/{instance_id}", color, "1", weight)


def test_ten_percent_to_one_green_beside_one_blue() -> None:
    weights = split_weights(
        [endpoint("b1", "blue"), endpoint("g1", "green")],
        stable="blue",
        canary="green",
        canary_percent=10,
    )
    assert weights == {"b1": 900, "g1": 100}


def test_a_color_share_is_spread_over_its_instances() -> None:
    weights = split_weights(
        [endpoint("b1", "blue"), endpoint("b2", "blue"), endpoint("g1", "green")],
        stable="blue",
        canary="green",
        canary_percent=25,
    )
    assert weights == {"b1": 375, "b2": 375, "g1": 250}


def test_zero_and_hundred_park_a_color() -> None:
    pair = [endpoint("b1", "blue"), endpoint("g1", "green")]
    assert split_weights(pair, stable="blue", canary="green", canary_percent=0)["g1"] == 0
    assert split_weights(pair, stable="blue", canary="green", canary_percent=100)["b1"] == 0


@given(
    blues=st.integers(min_value=1, max_value=10),
    greens=st.integers(min_value=1, max_value=10),
    percent=st.integers(min_value=0, max_value=100),
)
def test_the_split_is_what_was_asked_within_rounding(blues: int, greens: int, percent: int) -> None:
    endpoints = [endpoint(f"b{i}", "blue") for i in range(blues)]
    endpoints += [endpoint(f"g{i}", "green") for i in range(greens)]
    weights = split_weights(endpoints, stable="blue", canary="green", canary_percent=percent)
    weighted = [
        Endpoint(e.service, e.instance_id, e.url, e.color, e.version, weights[e.instance_id])
        for e in endpoints
    ]
    assert abs(share_of(weighted, "green") - percent) <= 1
    assert all(0 <= w <= 1000 for w in weights.values())
    if 0 < percent < 100:
        assert all(w > 0 for w in weights.values())


def test_a_split_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        split_weights([], stable="blue", canary="green", canary_percent=101)


class FakeRegistry:
    """The registry's HTTP API in memory (httpx.MockTransport)."""

    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.weights = {e.instance_id: e.weight for e in endpoints}
        self.endpoints = endpoints
        self.puts: list[tuple[str, int]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        now = [replace(e, weight=self.weights[e.instance_id]) for e in self.endpoints]
        answer, put = registry_answer(request, now)
        if put is not None:
            self.weights[put[0]] = put[1]
            self.puts.append(put)
        return answer


def api(fake: FakeRegistry) -> RegistryApi:
    client = httpx.Client(base_url="http://registry", transport=httpx.MockTransport(fake.handle))
    return RegistryApi("http://registry", client=client)


def test_apply_split_changes_only_the_weights_that_differ() -> None:
    fake = FakeRegistry([endpoint("b1", "blue", 1000), endpoint("g1", "green", 0)])
    after = apply_split(api(fake), "order", stable="blue", canary="green", canary_percent=50)
    assert fake.puts == [("b1", 500), ("g1", 500)]
    assert share_of(after, "green") == 50
    apply_split(api(fake), "order", stable="blue", canary="green", canary_percent=50)
    assert len(fake.puts) == 2


def test_traffic_for_a_color_without_instances_is_refused_and_nothing_changes() -> None:
    fake = FakeRegistry([endpoint("b1", "blue", 1000)])
    with pytest.raises(UserError, match="no green instance"):
        apply_split(api(fake), "order", stable="blue", canary="green", canary_percent=10)
    assert fake.puts == []
