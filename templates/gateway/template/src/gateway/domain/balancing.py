"""Upstream instances and the weighted choice among them.

Blue-green and canary releases are weights: an instance at weight 0 (a green one not yet
promoted) takes no traffic, except a preview that asks for its color (`x-color`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Instance:
    url: str
    instance_id: str = ""
    weight: int = 100
    color: str = ""


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


def choose_preview(instances: Sequence[Instance], rng: random.Random | None = None) -> Instance:
    """One of a color's instances, for a preview: by weight while the color takes traffic,
    else any (a preview of green runs while green is still at weight 0)."""
    if any(i.weight > 0 for i in instances):
        chosen = choose(instances, rng)
        assert chosen is not None
        return chosen
    return (rng or random).choice(instances)
