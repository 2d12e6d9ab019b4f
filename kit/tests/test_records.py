from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pytest

from ecomkit.records import record_from_row, record_values


class Status(enum.StrEnum):
    OPEN = "OPEN"
    SHUT = "SHUT"


@dataclass
class Item:
    sku: str
    price: Decimal
    status: Status = Status.OPEN
    active: bool = True
    stock: int = 0
    id: int | None = None
    created_at: datetime | None = None
    tags: list[str] = field(default_factory=list)


ROW = {
    "id": 7,
    "sku": "A-1",
    "price": "9.50",
    "status": "SHUT",
    "active": 0,
    "in_stock": Decimal(3),
    "created_at": datetime(2026, 1, 2),
    "unrelated": "ignored",
}


def test_a_row_becomes_a_record_with_its_declared_types() -> None:
    item = record_from_row(Item, ROW, columns={"stock": "in_stock"})

    assert item == Item(
        sku="A-1",
        price=Decimal("9.50"),
        status=Status.SHUT,
        active=False,
        stock=3,
        id=7,
        created_at=datetime(2026, 1, 2),
    )
    assert type(item.stock) is int and type(item.active) is bool


def test_given_values_win_and_missing_columns_keep_defaults() -> None:
    item = record_from_row(Item, {"sku": "B", "price": 1, "id": None}, tags=["x"])

    assert item.tags == ["x"] and item.id is None and item.status is Status.OPEN


def test_a_renamed_column_the_row_lacks_is_an_error() -> None:
    with pytest.raises(KeyError, match="in_stock"):
        record_from_row(Item, {"sku": "B", "price": 1}, columns={"stock": "in_stock"})


def test_a_record_becomes_column_values() -> None:
    item = Item(sku="A-1", price=Decimal("2"), status=Status.SHUT, stock=4, id=1)

    values = record_values(item, columns={"stock": "in_stock"}, exclude=("id", "tags"))

    assert values == {
        "sku": "A-1",
        "price": Decimal("2"),
        "status": "SHUT",
        "active": True,
        "in_stock": 4,
        "created_at": None,
    }
    assert type(values["status"]) is str


def test_only_picks_fields_and_values_replace_them() -> None:
    item = Item(sku="A-1", price=Decimal("2"))

    assert record_values(item, only=("sku", "price"), price="2.00", extra=1) == {
        "sku": "A-1",
        "price": "2.00",
        "extra": 1,
    }
