"""ecomkit.testing.saga_samples: each sample is a valid event of its contract, and all of
them are about one order of one user."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecomkit.contracts.orders import OrderScoped
from ecomkit.testing.saga_samples import (
    PAYMENT_METHOD,
    USER_ID,
    inventory_reserved,
    order_cancelled,
    order_created,
    order_paid,
    order_shipped,
    payment_completed,
    payment_failed,
)

SAMPLES: list[OrderScoped] = [
    order_created(7),
    order_paid(7),
    order_shipped(7),
    inventory_reserved(7),
    payment_completed(7),
    payment_failed(7),
    payment_failed(7, None),
    order_cancelled(7, "saga timeout", "PAID"),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_a_sample_reads_back_through_its_contract(event: OrderScoped) -> None:
    wire = event.to_event()
    assert type(event).from_data(wire.data, wire.schema_version) == event
    assert wire.key == "7"


def test_the_samples_are_one_order_of_one_user() -> None:
    reserved = inventory_reserved(7)
    assert {e.user_id for e in SAMPLES} == {USER_ID}
    assert reserved.payment_method_id == PAYMENT_METHOD
    assert reserved.total_amount == sum(
        (Decimal(i.price or 0) * i.quantity for i in reserved.items), Decimal(0)
    )
    assert payment_completed(7).amount == reserved.total_amount
    created = order_created(7)
    assert created.total_amount == order_paid(7).total_amount == reserved.total_amount
    assert [(i.product_id, i.quantity, i.price) for i in created.items] == [
        (i.product_id, i.quantity, i.price) for i in reserved.items
    ]
    assert created.created_at < reserved.expires_at


def test_a_sample_of_another_user_keeps_the_rest() -> None:
    for sample in (order_created, order_paid, order_shipped, payment_completed, payment_failed):
        other = sample(7, user_id=4)
        assert other.user_id == 4
        assert other.model_copy(update={"user_id": USER_ID}) == sample(7)
    assert order_cancelled(7, "saga timeout", user_id=4).user_id == 4
