"""Upstream instances and the weighted choice among them (groundwork for blue-green)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Instance:
    url: str
    instance_id: str = ""
    weight: int = 100


def choose(instances: Sequence[Instance], rng: random.Random | None = None) -> Instance | None:
    """A random instance, proportional to weight; weight 0 takes no traffic."""
    if len(instances) == 1:
        only = instances[0]
        return only if only.weight > 0 else None
    live = [i for i in instances if i.weight > 0]
    if not live:
        return None
    pick = (rng or random).choices(live, weights=[i.weight for i in live], k=1)
    return pick[0]
