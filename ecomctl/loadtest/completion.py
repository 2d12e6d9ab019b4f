"""Order completion, measured from the orders themselves: after the load, every order the run
created is read back from the order service until it is final (or time is up). An order is
complete when it ended as its user wanted: CANCELLED if the user's cancel was accepted,
PAID (or later: SHIPPED, DELIVERED) otherwise."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PAID_OR_LATER = {"PAID", "SHIPPED", "DELIVERED"}
FINAL = PAID_OR_LATER | {"CANCELLED"}
POLL_S = 1.0
READERS = 8

StatusReader = Callable[[int], str | None]  # order id -> status (None: could not read)


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    cancelled: bool  # the user's cancel was accepted


@dataclass
class Completion:
    placed: int = 0
    completed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    incomplete: list[int] = field(default_factory=list)  # a few ids worth a look

    @property
    def ratio(self) -> float | None:
        return self.completed / self.placed if self.placed else None

    def to_json(self) -> dict[str, object]:
        return {
            "placed": self.placed,
            "completed": self.completed,
            "ratio": self.ratio,
            "statuses": dict(self.statuses),
            "incomplete_sample": self.incomplete[:20],
        }


def read_orders(path: Path) -> list[PlacedOrder]:
    if not path.is_file():
        return []
    found: dict[int, PlacedOrder] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            found[int(row["id"])] = PlacedOrder(int(row["id"]), bool(row["cancelled"]))
    return list(found.values())


def measure(orders: list[PlacedOrder], read_status: StatusReader, *, settle_s: float) -> Completion:
    """Poll until every order is final or `settle_s` is over; the last statuses count."""
    statuses: dict[int, str | None] = {}
    pending = [o.id for o in orders]
    deadline = time.monotonic() + settle_s
    with ThreadPoolExecutor(READERS) as pool:
        while pending:
            for order_id, status in zip(pending, pool.map(read_status, pending), strict=True):
                statuses[order_id] = status
            pending = [i for i in pending if statuses[i] not in FINAL]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(POLL_S)
    return _tally(orders, statuses)


def _tally(orders: list[PlacedOrder], statuses: dict[int, str | None]) -> Completion:
    result = Completion(placed=len(orders))
    for order in orders:
        status = statuses.get(order.id) or "UNKNOWN"
        result.statuses[status] += 1
        wanted = status == "CANCELLED" if order.cancelled else status in PAID_OR_LATER
        if wanted:
            result.completed += 1
        else:
            result.incomplete.append(order.id)
    return result
