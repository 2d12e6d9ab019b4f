"""What `ecomctl switch` and `ecomctl traffic set` accept, and the one line they refuse with."""

from __future__ import annotations

import pytest

from ecomctl.cli.traffic import parse_shares, parse_steps
from ecomctl.errors import UsageError


def test_steps_rise_to_100() -> None:
    assert parse_steps("10,25,50,100") == [10, 25, 50, 100]
    assert parse_steps("0, 100%") == [0, 100]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("10,50", "the last step must be 100"),
        ("50,25,100", "each above the one before"),
        ("10,x,100", "write percents"),
        ("10,200", "the last step must be 100"),
    ],
)
def test_steps_that_do_not_rise_to_100_are_refused(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_steps(text)


def test_shares_by_color() -> None:
    assert parse_shares("blue=90,green=10") == {"blue": 90, "green": 10}
    assert parse_shares("green=25%") == {"green": 25}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("blue=70,green=20", "add up to 90%, not 100%"),
        ("purple=10", "unknown color 'purple'"),
        ("green=110", "write COLOR=PERCENT"),
        ("green", "write COLOR=PERCENT"),
        ("", "write COLOR=PERCENT"),
    ],
)
def test_shares_that_do_not_add_up_are_refused(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_shares(text)
