"""Stock moves keep available + reserved + sold constant; shortages list every short item."""

from __future__ import annotations

import pytest

from inventory.domain.errors import InvalidStockLevel, StockRuleBroken
from inventory.domain.model import StockLevel, merge_items, shortages


def test_moves_conserve_stock() -> None:
    level = StockLevel(1, available=10)
    level.reserve(4)
    level.confirm(3)
    level.release(1)
    assert (level.available, level.reserved, level.sold) == (7, 0, 3)
    assert level.stocked == 10
    assert level.sell_available(7) and not level.sell_available(1)
    assert level.stocked == 10 and level.sold == 10


@pytest.mark.parametrize("move", ["reserve", "release", "confirm"])
def test_no_counter_goes_negative(move: str) -> None:
    level = StockLevel(1, available=1, reserved=1)
    with pytest.raises(StockRuleBroken):
        getattr(level, move)(2)
    assert (level.available, level.reserved) == (1, 1)


def test_set_available_refuses_negative() -> None:
    with pytest.raises(InvalidStockLevel):
        StockLevel(1).set_available(-1)


def test_items_merge_in_product_order() -> None:
    assert list(merge_items([(3, 1), (1, 2), (3, 4)]).items()) == [(1, 2), (3, 5)]


def test_shortages_name_every_short_item() -> None:
    levels = {1: StockLevel(1, available=2), 2: StockLevel(2, available=9)}
    found = shortages({1: 3, 2: 1, 7: 1}, levels)
    assert [(s.product_id, s.requested, s.available) for s in found] == [(1, 3, 2), (7, 1, 0)]
