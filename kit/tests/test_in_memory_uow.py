"""The fake unit of work services build their unit tests on keeps the real one's rules."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pytest

from ecomkit.testing import InMemoryUnitOfWork
from ecomkit.unit_of_work import UnitOfWork

pytestmark = pytest.mark.anyio


@dataclass
class Store:
    stock: dict[int, int] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)


class ServiceUnitOfWork(UnitOfWork[str]):
    stock: dict[int, int]


class FakeUnitOfWork(InMemoryUnitOfWork[Store, str], ServiceUnitOfWork):
    def begin(self) -> None:
        self.stock = copy.deepcopy(self.store.stock)

    def apply(self, events: list[str]) -> None:
        self.store.stock = self.stock
        self.store.published += events


async def test_a_commit_makes_the_copy_the_state_and_publishes() -> None:
    store = Store()
    async with FakeUnitOfWork(store) as uow:
        uow.stock[1] = 5
        uow.add_event("StockChanged")
        await uow.commit()
        uow.stock[1] = 6  # after the commit: a new copy, not committed
    assert store.stock == {1: 5} and store.published == ["StockChanged"]
    assert uow.committed


async def test_leaving_without_a_commit_changes_nothing() -> None:
    store = Store(stock={1: 5})
    with pytest.raises(RuntimeError):
        async with FakeUnitOfWork(store) as uow:
            uow.stock[1] = 0
            uow.add_event("StockChanged")
            raise RuntimeError("the handler failed")
    assert store.stock == {1: 5} and store.published == []
    assert not uow.committed
