"""Versions order as Flyway orders them (1.10 > 1.9, 2 == 2.0)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomctl.errors import UsageError
from ecomctl.migrate.version import MigrationVersion

parts = st.lists(st.integers(min_value=0, max_value=10**20), min_size=1, max_size=6)


def v(text: str) -> MigrationVersion:
    return MigrationVersion.parse(text)


def test_numeric_not_lexical() -> None:
    assert v("1.10") > v("1.9")
    assert v("10") > v("9")
    assert v("1.0.1") > v("1")


def test_trailing_zeros_are_equal() -> None:
    assert v("2") == v("2.0") == v("2.0.0")
    assert hash(v("2")) == hash(v("2.0"))


def test_underscores_are_dots() -> None:
    assert v("1_1") == v("1.1")
    assert str(v("1_1")) == "1.1"


@pytest.mark.parametrize("bad", ["", "a", "1..2", "1.", ".1", "1-2"])
def test_invalid(bad: str) -> None:
    with pytest.raises(UsageError):
        v(bad)


@given(parts, parts)
def test_order_matches_integer_lists_without_trailing_zeros(a: list[int], b: list[int]) -> None:
    def key(xs: list[int]) -> list[int]:
        xs = list(xs)
        while len(xs) > 1 and xs[-1] == 0:
            xs.pop()
        return xs

    va, vb = v(".".join(map(str, a))), v(".".join(map(str, b)))
    assert (va < vb) == (key(a) < key(b))
    assert (va == vb) == (key(a) == key(b))


@given(st.lists(parts, min_size=1, max_size=20))
def test_sorting_is_a_total_order(versions: list[list[int]]) -> None:
    parsed = sorted(v(".".join(map(str, p))) for p in versions)
    assert all(x <= y for x, y in itertools.pairwise(parsed))
