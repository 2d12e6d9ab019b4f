"""Response bodies filled from domain objects: same names copied, the rest named."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pytest
from pydantic import ValidationError

from ecomkit.schemas import CamelModel, Id


class Status(Enum):
    PAID = "PAID"


@dataclass
class Payment:
    payment_id: str
    order_id: int
    status: Status
    provider_ref: str | None = None


class PaymentResponse(CamelModel):
    id: str
    order_id: int
    status: str
    provider_ref: str | None


def test_same_names_are_copied_and_the_rest_given() -> None:
    payment = Payment("pay-1", 7, Status.PAID)
    body = PaymentResponse.copying(payment, id=payment.payment_id, status=payment.status.value)
    assert body.model_dump(by_alias=True) == {
        "id": "pay-1",
        "orderId": 7,
        "status": "PAID",
        "providerRef": None,
    }


def test_a_field_neither_has_fails_at_once() -> None:
    with pytest.raises(ValidationError, match="id"):
        PaymentResponse.copying(Payment("pay-1", 7, Status.PAID), status="PAID")


def test_input_is_accepted_in_camel_case_and_snake_case() -> None:
    assert (
        PaymentResponse.model_validate(
            {"id": "p", "orderId": 1, "status": "PAID", "provider_ref": "ch_1"}
        ).provider_ref
        == "ch_1"
    )


class Reference(CamelModel):
    order_id: Id


@pytest.mark.parametrize("refused", [0, -1, 2**63])
def test_an_id_is_positive_and_fits_a_signed_64_bit_column(refused: int) -> None:
    assert Reference(order_id=2**63 - 1).order_id == 2**63 - 1
    with pytest.raises(ValidationError):
        Reference(order_id=refused)
