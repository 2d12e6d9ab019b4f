"""What the simulated users share: the seed data written by `ecomctl loadtest`, a log of
the orders they create (read back afterwards to measure completion from the order service),
and a per-user random generator so `--seed` makes the journeys repeatable."""

from __future__ import annotations

import json
import os
import random
import threading
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any

SEED_FILE = "ECOMCTL_LOADTEST_SEED_FILE"
ORDERS_FILE = "ECOMCTL_LOADTEST_ORDERS_FILE"

_numbers = count()
_lock = threading.Lock()


@cache
def seed_data() -> dict[str, Any]:
    path = os.environ.get(SEED_FILE)
    if not path:
        raise RuntimeError(f"{SEED_FILE} is not set: run through `ecomctl loadtest`")
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


def next_rng() -> tuple[int, random.Random]:
    """The n-th user of this process and its own generator (seed + n)."""
    number = next(_numbers)
    return number, random.Random(seed_data()["random_seed"] * 1000 + number)


def record_order(order_id: int, *, cancelled: bool) -> None:
    """One line per order, appended (O_APPEND keeps lines whole across worker processes)."""
    path = os.environ.get(ORDERS_FILE)
    if not path:
        return
    line = json.dumps({"id": order_id, "cancelled": cancelled}) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as out:
        out.write(line)


class Tally:
    """Orders this process saw through to the end (for live progress only; the verdict
    comes from the order service)."""

    placed = 0
    paid = 0
    cancelled = 0
